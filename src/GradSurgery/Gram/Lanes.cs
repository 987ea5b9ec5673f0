using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GradSurgery;

/// <summary>
/// The few 512-bit vector operations the CPU kernels need, written once for float and double. The
/// JIT specialises every generic method per value type, so each <c>typeof</c> test below is decided at
/// compile time and costs nothing at run time.
/// </summary>
internal static class Lanes
{
    /// <summary>Whether this CPU runs the kernels (AVX-512F); elsewhere the library uses libtorch's products.</summary>
    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>
    /// Bytes of G from which the kernels treat it as past the last-level cache: 24 MiB, three quarters of
    /// the 32 MiB cache of the machines measured. Past it the combine writes with streaming stores and
    /// both kernels prefetch ahead (measured reasons on <see cref="CpuCombine"/> and <see cref="CpuGram"/>);
    /// below it G and the output come from the cache, where both cost time.
    /// </summary>
    public const long PastCacheBytes = 24L << 20;

    /// <summary>Whether a <paramref name="rows"/>×<paramref name="columns"/> matrix of <typeparamref name="T"/> is at least <see cref="PastCacheBytes"/>.</summary>
    public static unsafe bool IsPastCache<T>(long rows, long columns)
        where T : unmanaged => rows * columns * sizeof(T) >= PastCacheBytes;

    /// <summary>Elements of <typeparamref name="T"/> in one vector: 16 floats or 8 doubles.</summary>
    public static int Width<T>()
        where T : unmanaged => Vector512<T>.Count;

    /// <summary>c + a·b in one rounding (a fused multiply-add).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            return Avx512F.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return Avx512F.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    /// <summary>The sum of the lanes, added in double (float lanes are widened first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumToDouble<T>(Vector512<T> v)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            var (lower, upper) = Vector512.Widen(v.AsSingle());
            return Vector512.Sum(lower + upper);
        }
        return Vector512.Sum(v.AsDouble());
    }

    /// <summary>
    /// Stores <paramref name="v"/> at the 64-byte aligned <paramref name="address"/> past the caches
    /// (a streaming store): the line is written without first being read, which saves a third of the
    /// memory traffic of an output that does not fit the caches anyway. Needs <see cref="Fence"/> before
    /// another thread reads it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreStreaming<T>(Vector512<T> v, T* address)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            Avx512F.StoreAlignedNonTemporal((float*)address, v.AsSingle());
        else
            Avx512F.StoreAlignedNonTemporal((double*)address, v.AsDouble());
    }

    /// <summary>Orders every earlier streaming store before any later store (sfence).</summary>
    public static void Fence() => Sse.StoreFence();

    /// <summary>One element as a double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ToDouble<T>(T value)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            return Unsafe.As<T, float>(ref value);
        return Unsafe.As<T, double>(ref value);
    }

    /// <summary>A double rounded to <typeparamref name="T"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T FromDouble<T>(double value)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            var single = (float)value;
            return Unsafe.As<float, T>(ref single);
        }
        return Unsafe.As<double, T>(ref value);
    }
}
