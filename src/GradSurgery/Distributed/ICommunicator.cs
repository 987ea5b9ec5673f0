using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// The collective operations data-parallel training needs, over a group of <see cref="Size"/> processes
/// that each hold a shard of every batch: the seam between <see cref="GradientSurgeryOptimizer"/> and a
/// transport (MPI in the GradSurgery.Mpi package; an NCCL implementation would serve CUDA tensors).
/// </summary>
/// <remarks>
/// Every operation is collective: all ranks call it, in the same order, with tensors of the same shape
/// and dtype, and it returns when this rank's part is done. Tensors are contiguous floating-point tensors;
/// an implementation may work on their memory directly (CPU) or copy through the host (CUDA with MPI).
/// An implementation that cannot complete an operation must not leave the other ranks waiting forever:
/// it ends the whole group (<see cref="Abort"/>).
/// </remarks>
public interface ICommunicator
{
    /// <summary>This process's index in the group, 0 … <see cref="Size"/> − 1.</summary>
    int Rank { get; }

    /// <summary>The number of processes, R ≥ 1.</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="tensor"/> on every rank by the element-wise sum over the ranks.</summary>
    /// <param name="tensor">A contiguous floating-point tensor, the same shape on every rank.</param>
    void AllReduceSum(Tensor tensor);

    /// <summary>
    /// Sums <paramref name="input"/> over the ranks and gives rank r the r-th of <see cref="Size"/> equal
    /// blocks of the sum in <paramref name="output"/> (a reduce-scatter).
    /// </summary>
    /// <param name="input">A contiguous [Size·n] tensor.</param>
    /// <param name="output">A contiguous [n] tensor of the same dtype.</param>
    void ReduceScatterSum(Tensor input, Tensor output);

    /// <summary>Concatenates every rank's <paramref name="input"/> in rank order into <paramref name="output"/> on every rank.</summary>
    /// <param name="input">A contiguous [n] tensor.</param>
    /// <param name="output">A contiguous [Size·n] tensor of the same dtype.</param>
    void AllGather(Tensor input, Tensor output);

    /// <summary>Copies <paramref name="tensor"/> of rank <paramref name="root"/> into every rank's <paramref name="tensor"/>.</summary>
    void Broadcast(Tensor tensor, int root);

    /// <summary>Ends every process of the group with <paramref name="errorCode"/> (a rank that failed, so that the others do not wait forever).</summary>
    void Abort(int errorCode);
}
