using System;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// The group of one process: every collective operation is the identity. A program written for data
/// parallelism runs unchanged in one process with it, and tests use it as the reference.
/// </summary>
public sealed class SingleProcessCommunicator : ICommunicator
{
    /// <summary>Always 0.</summary>
    public int Rank => 0;

    /// <summary>Always 1.</summary>
    public int Size => 1;

    /// <summary>Leaves <paramref name="tensor"/> as it is (the sum over one rank).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="tensor"/> is null.</exception>
    public void AllReduceSum(Tensor tensor) => ArgumentNullException.ThrowIfNull(tensor);

    /// <summary>Copies <paramref name="input"/> into <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public void ReduceScatterSum(Tensor input, Tensor output) => Copy(input, output);

    /// <summary>Copies <paramref name="input"/> into <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public void AllGather(Tensor input, Tensor output) => Copy(input, output);

    /// <summary>Leaves <paramref name="tensor"/> as it is (rank 0 is the only rank).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="tensor"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is not 0.</exception>
    public void Broadcast(Tensor tensor, int root)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (root != 0)
            throw new ArgumentOutOfRangeException(nameof(root), root, "The only rank is 0.");
    }

    /// <summary>Ends this process with <paramref name="errorCode"/>.</summary>
    public void Abort(int errorCode) => Environment.Exit(errorCode);

    private static void Copy(Tensor input, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (input.numel() != output.numel())
            throw new ArgumentException($"One rank: the output must hold the input's {input.numel()} values; it holds {output.numel()}.", nameof(output));
        output.copy_(input.view_as(output));
    }
}
