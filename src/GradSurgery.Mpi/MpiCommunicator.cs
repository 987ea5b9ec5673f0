using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace GradSurgery.Mpi;

/// <summary>
/// An <see cref="ICommunicator"/> over MPI's world communicator (MPI.NET on an MPICH-ABI library), for
/// <see cref="GradientSurgeryOptions.Communicator"/>. Start the program with <c>mpirun -np R dotnet app.dll</c>.
/// </summary>
/// <remarks>
/// <para>CPU tensors that are contiguous float32 or float64 are handed to MPI as they are (zero copy: MPI
/// reads and writes the tensor's memory). CUDA tensors, other layouts and float16/bfloat16 go through a
/// contiguous float32/float64 copy on the host and back (MPI has no GPU memory or half types here; a NCCL
/// communicator would avoid the copy). Counts are MPI's 32-bit integers: one tensor holds fewer than 2³¹
/// values.</para>
/// <para>Create one per process with <see cref="Initialize"/> (which starts MPI) and dispose it at the end
/// (which finalizes MPI); <see cref="Run"/> does both and turns an exception on any rank into an
/// <see cref="Abort"/> of the whole job, so that the other ranks do not wait forever.</para>
/// </remarks>
public sealed class MpiCommunicator : ICommunicator, IDisposable
{
    /// <summary>MPI_IN_PLACE of the MPICH ABI (also MS-MPI's): the address −1.</summary>
    private static readonly IntPtr InPlace = new(-1);

    /// <summary>MPI_SUCCESS.</summary>
    private const int Success = 0;

    /// <summary>
    /// Time a failing rank waits between writing its message and aborting: MPI_Abort kills every process
    /// at once, and without the pause the launcher (measured with MPICH's hydra) sometimes drops the
    /// message it has not forwarded yet.
    /// </summary>
    private static readonly TimeSpan AbortGrace = TimeSpan.FromMilliseconds(500);

    private readonly MPI.Environment _environment;
    private bool _disposed;

    private MpiCommunicator(MPI.Environment environment)
    {
        _environment = environment;
        Rank = MPI.Communicator.world.Rank;
        Size = MPI.Communicator.world.Size;
    }

    /// <inheritdoc />
    public int Rank { get; }

    /// <inheritdoc />
    public int Size { get; }

    /// <summary>Starts MPI (once per process) and returns the world communicator.</summary>
    /// <param name="args">The program's arguments; MPI removes its own.</param>
    /// <exception cref="DllNotFoundException">No MPICH-ABI library is installed (see the message).</exception>
    public static MpiCommunicator Initialize(ref string[] args)
    {
        MpichLibrary.Register();
        return new MpiCommunicator(new MPI.Environment(ref args));
    }

    /// <summary>
    /// Runs <paramref name="body"/> on this rank with MPI started and finalized around it. An exception on
    /// any rank is written to the standard error with the rank and ends the whole job with exit code 1
    /// (<see cref="Abort"/>): the other ranks, possibly waiting in a collective, do not hang.
    /// </summary>
    /// <param name="args">The program's arguments; MPI removes its own before <paramref name="body"/> sees them.</param>
    /// <param name="body">The rank's program; its result is the exit code.</param>
    /// <returns>The exit code of <paramref name="body"/>.</returns>
    public static int Run(string[] args, Func<MpiCommunicator, string[], int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var communicator = Initialize(ref args);
        try
        {
            return body(communicator, args);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"rank {communicator.Rank} of {communicator.Size} failed: {e.GetType().Name}: {e.Message}");
            Console.Error.Flush();
            System.Threading.Thread.Sleep(AbortGrace);
            communicator.Abort(1);
            return 1;
        }
    }

    /// <inheritdoc />
    public void AllReduceSum(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var staged = Staged.Of(tensor);
        staged.Run((pointer, count, type) => MPI.Unsafe.MPI_Allreduce(InPlace, pointer, count, type, MPI.Unsafe.MPI_SUM, MPI.Unsafe.MPI_COMM_WORLD), nameof(AllReduceSum));
        staged.CopyBack();
    }

    /// <inheritdoc />
    public void ReduceScatterSum(Tensor input, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (input.numel() != Size * output.numel())
            throw new ArgumentException($"Reduce-scatter over {Size} ranks needs an input of {Size}·{output.numel()} values; got {input.numel()}.", nameof(input));
        using var send = Staged.Of(input, output.dtype);
        using var receive = Staged.Of(output);
        var counts = Enumerable.Repeat(receive.Count, Size).ToArray();
        send.Run((inPointer, _, type) =>
        {
            receive.Run((outPointer, _, _) => MPI.Unsafe.MPI_Reduce_scatter(inPointer, outPointer, counts, type, MPI.Unsafe.MPI_SUM, MPI.Unsafe.MPI_COMM_WORLD), nameof(ReduceScatterSum));
            return Success;
        }, nameof(ReduceScatterSum));
        receive.CopyBack();
    }

    /// <inheritdoc />
    public void AllGather(Tensor input, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (output.numel() != Size * input.numel())
            throw new ArgumentException($"All-gather over {Size} ranks needs an output of {Size}·{input.numel()} values; got {output.numel()}.", nameof(output));
        using var send = Staged.Of(input, output.dtype);
        using var receive = Staged.Of(output);
        send.Run((inPointer, count, type) =>
        {
            receive.Run((outPointer, _, _) => MPI.Unsafe.MPI_Allgather(inPointer, count, type, outPointer, count, type, MPI.Unsafe.MPI_COMM_WORLD), nameof(AllGather));
            return Success;
        }, nameof(AllGather));
        receive.CopyBack();
    }

    /// <inheritdoc />
    public void Broadcast(Tensor tensor, int root)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (root < 0 || root >= Size)
            throw new ArgumentOutOfRangeException(nameof(root), root, $"The root must be a rank, 0 … {Size - 1}.");
        using var staged = Staged.Of(tensor);
        staged.Run((pointer, count, type) => MPI.Unsafe.MPI_Bcast(pointer, count, type, root, MPI.Unsafe.MPI_COMM_WORLD), nameof(Broadcast));
        staged.CopyBack();
    }

    /// <inheritdoc />
    public void Abort(int errorCode) => MPI.Unsafe.MPI_Abort(MPI.Unsafe.MPI_COMM_WORLD, errorCode);

    /// <summary>Finalizes MPI (once; every rank must).</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _environment.Dispose();
    }

    /// <summary>
    /// A tensor as MPI sees it: the tensor itself when it is a contiguous float32/float64 CPU tensor, else a
    /// contiguous host copy (float32 for reduced precision) that <see cref="CopyBack"/> writes back.
    /// </summary>
    private sealed class Staged : IDisposable
    {
        private readonly Tensor _original;
        private readonly Tensor _buffer;

        private Staged(Tensor original, Tensor buffer)
        {
            _original = original;
            _buffer = buffer;
            var count = buffer.numel();
            if (count > int.MaxValue)
                throw new ArgumentException($"MPI counts are 32-bit: a tensor of {count} values is too large; split it.", nameof(original));
            Count = (int)count;
        }

        public int Count { get; }

        private bool IsCopy => !ReferenceEquals(_original, _buffer);

        /// <summary>Stages <paramref name="tensor"/>; <paramref name="as"/> sets the MPI type when it must match another tensor's.</summary>
        public static Staged Of(Tensor tensor, ScalarType? @as = null)
        {
            var target = Transport(@as ?? tensor.dtype);
            if (tensor.device_type == DeviceType.CPU && tensor.is_contiguous() && tensor.dtype == target)
                return new Staged(tensor, tensor);
            using var noGrad = torch.no_grad();
            return new Staged(tensor, tensor.detach().to(target, CPU).contiguous().DetachFromDisposeScope());
        }

        /// <summary>Calls MPI with the buffer's address, count and type; a non-zero MPI result throws.</summary>
        public unsafe void Run(Func<IntPtr, int, int, int> call, string operation)
        {
            var type = _buffer.dtype == ScalarType.Float64 ? MPI.Unsafe.MPI_DOUBLE : MPI.Unsafe.MPI_FLOAT;
            fixed (byte* pointer = _buffer.bytes)
            {
                var result = call((IntPtr)pointer, Count, type);
                if (result != Success)
                    throw new InvalidOperationException($"MPI {operation} failed with error code {result}.");
            }
        }

        /// <summary>Writes a staged copy back into the original tensor.</summary>
        public void CopyBack()
        {
            if (!IsCopy)
                return;
            using var noGrad = torch.no_grad();
            _original.copy_(_buffer.view_as(_original));
        }

        public void Dispose()
        {
            if (IsCopy)
                _buffer.Dispose();
        }

        private static ScalarType Transport(ScalarType dtype) => dtype switch
        {
            ScalarType.Float64 => ScalarType.Float64,
            ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 => ScalarType.Float32,
            _ => throw new ArgumentException($"Only floating-point tensors are exchanged; got {dtype}.", "tensor"),
        };
    }
}
