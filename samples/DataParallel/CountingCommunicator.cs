using static TorchSharp.torch;

namespace GradSurgery.Samples.DataParallel;

/// <summary>An <see cref="ICommunicator"/> decorator that counts the bytes this rank hands to each collective.</summary>
internal sealed class CountingCommunicator(ICommunicator inner) : ICommunicator
{
    public int Rank => inner.Rank;

    public int Size => inner.Size;

    /// <summary>Bytes handed to collectives since the last <see cref="Reset"/> (the input of each call).</summary>
    public long Bytes { get; private set; }

    public void Reset() => Bytes = 0;

    public void AllReduceSum(Tensor tensor)
    {
        Bytes += ByteCount(tensor);
        inner.AllReduceSum(tensor);
    }

    public void ReduceScatterSum(Tensor input, Tensor output)
    {
        Bytes += ByteCount(input);
        inner.ReduceScatterSum(input, output);
    }

    public void AllGather(Tensor input, Tensor output)
    {
        Bytes += ByteCount(input);
        inner.AllGather(input, output);
    }

    public void Broadcast(Tensor tensor, int root)
    {
        Bytes += ByteCount(tensor);
        inner.Broadcast(tensor, root);
    }

    public void Abort(int errorCode) => inner.Abort(errorCode);

    private static long ByteCount(Tensor tensor) => tensor.numel() * tensor.element_size();
}
