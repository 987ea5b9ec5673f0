// GradSurgery benchmarks. Examples:
//   dotnet run -c Release --project benchmarks/GradSurgery.Benchmarks                  every benchmark, then the targets
//   dotnet run -c Release --project benchmarks/GradSurgery.Benchmarks -- --filter '*Solver*'
//   dotnet run -c Release --project benchmarks/GradSurgery.Benchmarks -- --smoke      each benchmark once (CI)
//   dotnet run -c Release --project benchmarks/GradSurgery.Benchmarks -- --quick      ShortRun job: rough numbers, faster
//   dotnet run -c Release --project benchmarks/GradSurgery.Benchmarks -- --leaks      live tensors after 10 and 1 000 steps
//   dotnet run -c Release --project benchmarks/GradSurgery.Benchmarks -- --paired     ratio targets as paired (A B B A) comparisons
//   dotnet run -c Release --project benchmarks/GradSurgery.Benchmarks -- --paired --losses   only the loss weightings' paired ratios
//   dotnet run -c Release --project benchmarks/GradSurgery.Benchmarks -- --limit [float32 float64 bfloat16 float16]   each method ÷ the machine's limit
using BenchmarkDotNet.Running;
using GradSurgery.Benchmarks.Infrastructure;
using GradSurgery.Benchmarks.Training;

var smoke = args.Contains("--smoke");
var quick = args.Contains("--quick");
if (args.Contains("--leaks"))
{
    return LiveTensorCheck.Run(smoke);
}

if (args.Contains("--limit"))
{
    return LimitRatios.Run(smoke, [.. args.Where(a => !a.StartsWith("--", StringComparison.Ordinal))]);
}

if (args.Contains("--paired"))
{
    return PairedRatios.Run(smoke, lossWeightingsOnly: args.Contains("--losses"));
}

BenchmarkScale.Smoke = smoke;
var rest = args.Where(a => a is not ("--smoke" or "--quick")).ToList();
if (!rest.Contains("--filter"))
{
    // Without a filter BenchmarkDotNet asks interactively; run everything instead.
    rest.AddRange(["--filter", "*"]);
}

var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. rest], BenchmarkConfig.Create(smoke, quick)).ToList();
if (summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)))
{
    Console.Error.WriteLine("Some benchmarks failed.");
    return 1;
}

if (!smoke)
{
    TargetReport.Write(summaries, Console.Out);
}

return 0;
