using System.CommandLine;
using static TorchSharp.torch;

namespace GradSurgery.Samples;

/// <summary>The samples' <c>--threads</c> option: libtorch's intra-op threads (compiled into each sample).</summary>
internal static class ThreadsOption
{
    /// <summary>The option; 0 (default) keeps libtorch's default of one thread per core.</summary>
    public static Option<int> Create() => new("--threads")
    {
        Description = "libtorch intra-op threads (0: libtorch's default, one per core; 1 is often fastest on a busy or small machine)",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>Applies <paramref name="threads"/>; false (after printing why) when it is negative.</summary>
    public static bool TryApply(int threads)
    {
        if (threads < 0)
        {
            Console.Error.WriteLine("--threads must be 0 (libtorch's default) or more.");
            return false;
        }

        if (threads > 0)
        {
            set_num_threads(threads);
        }

        return true;
    }
}
