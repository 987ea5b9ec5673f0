// A user's first program with the GradSurgery NuGet package: two regression tasks that share a
// trunk, trained through GradientSurgeryOptimizer with each method. Exits non-zero when a method
// fails to reduce both task losses, so CI notices a broken package.
using System.Reflection;
using GradSurgery;
using TorchSharp;
using static TorchSharp.torch;

const int Steps = 300;
const int Batch = 64;
const int Features = 8;
const int Hidden = 32;
// A method passes when each task's final loss is below this fraction of its initial loss.
const double RequiredReduction = 0.5;

var device = args.Length == 2 && args[0] == "--device" ? new Device(args[1]) : CPU;
var version = typeof(PCGrad).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
Console.WriteLine($"GradSurgery {version} from {typeof(PCGrad).Assembly.Location}");
Console.WriteLine($"TorchSharp on {device}");

var failures = 0;
foreach (var name in WeightingCatalog.Names)
{
    manual_seed(0);
    var trunk = nn.Sequential(nn.Linear(Features, Hidden), nn.Tanh()).to(device);
    var heads = new[] { nn.Linear(Hidden, 1).to(device), nn.Linear(Hidden, 1).to(device) };
    var parameters = trunk.parameters().Concat(heads.SelectMany(h => h.parameters()));
    using var optimizer = new GradientSurgeryOptimizer(optim.Adam(parameters, lr: 1e-2), WeightingCatalog.Create(name, seed: 1));

    // Two tasks that pull the trunk in different directions: y1 = sin(Σx), y2 = cos(x0 - x1).
    var x = randn(Batch, Features, device: device);
    var targets = new[] { x.sum(1, keepdim: true).sin(), (x[.., 0] - x[.., 1]).cos().unsqueeze(1) };

    double[] Losses()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var z = trunk.call(x);
        return heads.Select((h, t) => (double)nn.functional.mse_loss(h.call(z), targets[t]).item<float>()).ToArray();
    }

    var initial = Losses();
    for (var step = 0; step < Steps; step++)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var z = trunk.call(x);
        optimizer.Backward(heads.Select((h, t) => nn.functional.mse_loss(h.call(z), targets[t])).ToList());
        optimizer.step();
    }

    var final = Losses();
    var ok = final.Zip(initial).All(p => double.IsFinite(p.First) && p.First < RequiredReduction * p.Second);
    failures += ok ? 0 : 1;
    Console.WriteLine($"{name,-12} task losses {initial[0]:F4} → {final[0]:E1}, {initial[1]:F4} → {final[1]:E1}  {(ok ? "ok" : "FAILED")}");
}

return failures == 0 ? 0 : 1;
