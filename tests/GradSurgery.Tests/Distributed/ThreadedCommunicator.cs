using System;
using System.Linq;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Distributed;

/// <summary>The shared state of R in-process ranks: one slot per rank and a barrier.</summary>
internal sealed class ThreadedHub(int size)
{
    public int Size { get; } = size;

    public Barrier Barrier { get; } = new(size);

    public Tensor?[] Slots { get; } = new Tensor?[size];
}

/// <summary>
/// A test communicator: R ranks as R threads of this process exchanging tensors through a hub (every
/// collective deposits, waits, reads, waits). Sums run in rank order, so every rank gets bit-identical results.
/// </summary>
internal sealed class ThreadedCommunicator(ThreadedHub hub, int rank) : ICommunicator
{
    public int Rank { get; } = rank;

    public int Size => hub.Size;

    public void AllReduceSum(Tensor tensor) => Exchange(tensor, () =>
    {
        var sum = hub.Slots[0]!.clone();
        for (var r = 1; r < Size; r++)
            sum.add_(hub.Slots[r]!);
        return sum;
    }, tensor);

    public void ReduceScatterSum(Tensor input, Tensor output) => Exchange(input, () =>
    {
        var n = output.numel();
        var sum = hub.Slots[0]!.narrow(0, Rank * n, n).clone();
        for (var r = 1; r < Size; r++)
            sum.add_(hub.Slots[r]!.narrow(0, Rank * n, n));
        return sum;
    }, output);

    public void AllGather(Tensor input, Tensor output) => Exchange(input, () => torch.cat(hub.Slots.Select(s => s!).ToArray()), output);

    public void Broadcast(Tensor tensor, int root) => Exchange(tensor, () => hub.Slots[root]!.clone(), tensor);

    public void Abort(int errorCode) => throw new InvalidOperationException($"rank {Rank} aborted with {errorCode}");

    private void Exchange(Tensor input, Func<Tensor> result, Tensor output)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        hub.Slots[Rank] = input.detach().clone().DetachFromDisposeScope();
        hub.Barrier.SignalAndWait();
        var value = result();
        hub.Barrier.SignalAndWait();
        output.copy_(value.view_as(output));
        hub.Slots[Rank]!.Dispose();
        hub.Slots[Rank] = null;
    }
}
