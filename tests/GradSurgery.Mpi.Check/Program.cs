// Run under MPI (mpirun -np R dotnet GradSurgery.Mpi.Check.dll [--fail-rank r]): every rank trains each
// configuration data-parallel on its shard of the batch and, alone, on the whole batch, and checks that
// the parameters agree after every step. Exit code 0 when every check passes on this rank.
using System;
using System.Linq;
using GradSurgery.Mpi;
using GradSurgery.Mpi.Check;

return MpiCommunicator.Run(args, (communicator, rest) =>
{
    var failIndex = Array.IndexOf(rest, "--fail-rank");
    var failRank = failIndex >= 0 ? int.Parse(rest[failIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : -1;
    var failures = 0;
    var checks = 0;
    foreach (var uneven in new[] { false, true })
    {
        foreach (var name in DataParallelRun.Methods)
        {
            var run = new DataParallelRun(name, communicator, uneven);
            var reference = run.Train(null);
            var distributed = run.Train(communicator, () =>
            {
                if (communicator.Rank == failRank)
                    throw new InvalidOperationException("deliberate failure after the first data-parallel step");
            });
            // Every rank must hold bit-identical parameters: compare with rank 0's, broadcast.
            checks++;
            using (var mine = TorchSharp.torch.tensor(distributed[^1]))
            using (var rankZero = mine.clone())
            {
                communicator.Broadcast(rankZero, 0);
                if (!mine.allclose(rankZero, rtol: 0, atol: 0))
                {
                    failures++;
                    Console.Error.WriteLine($"rank {communicator.Rank}: {name}, shards {string.Join("+", run.Shards)}: parameters differ from rank 0's");
                }
            }
            for (var step = 0; step < reference.Count; step++)
            {
                checks++;
                var error = reference[step].Zip(distributed[step], (a, b) => Math.Abs(a - b)).Max();
                var scale = reference[step].Max(Math.Abs);
                if (error > DataParallelRun.Tolerance * scale)
                {
                    failures++;
                    Console.Error.WriteLine($"rank {communicator.Rank}: {name}, shards {string.Join("+", run.Shards)}, step {step}: max difference {error:E2}");
                }
            }
        }
    }
    Console.WriteLine($"rank {communicator.Rank} of {communicator.Size}: {checks - failures} of {checks} checks passed");
    return failures == 0 ? 0 : 1;
});
