using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// The kept [T, P] per-task gradient matrix G of the shared parameters and the kept [P] update, with
/// views shaped like each parameter. During task t's backward the parameters' <c>.grad</c> are views
/// of row t, so libtorch accumulates straight into G (no flatten, no copy); afterwards they are views
/// of the update, which the wrapped optimizer then reads.
/// </summary>
internal sealed class TaskGradientBuffer : IDisposable
{
    private readonly Parameter[] _shared;
    private Tensor? _rows;
    private Tensor? _update;
    private Tensor[][] _rowViews = Array.Empty<Tensor[]>();
    private Tensor[] _updateViews = Array.Empty<Tensor>();

    /// <summary>A buffer for <paramref name="shared"/> (one device and dtype); memory is allocated by <see cref="EnsureTasks"/>.</summary>
    public TaskGradientBuffer(IReadOnlyList<Parameter> shared)
    {
        _shared = shared.ToArray();
    }

    /// <summary>G, [T, P]; null before the first <see cref="EnsureTasks"/>.</summary>
    public Tensor? Rows => _rows;

    /// <summary>The update, [P]; null before the first <see cref="EnsureTasks"/>.</summary>
    public Tensor? Update => _update;

    /// <summary>T of the allocated buffer (0 before the first <see cref="EnsureTasks"/>).</summary>
    public int TaskCount => _rowViews.Length;

    /// <summary>True when a row holds a non-zero entry (gradients are being accumulated).</summary>
    public bool HasAccumulated
    {
        get
        {
            if (_rows is null)
                return false;
            using var scope = NewDisposeScope();
            return _rows.ne(0).any().item<bool>();
        }
    }

    /// <summary>
    /// Makes G [T, P] for <paramref name="taskCount"/> tasks, on the shared parameters' current device and
    /// dtype (zeroed when reallocated; kept otherwise, so that gradients accumulate across calls).
    /// </summary>
    public void EnsureTasks(int taskCount)
    {
        var first = _shared[0];
        var size = _shared.Sum(p => p.numel());
        if (_rows is not null && TaskCount == taskCount && _rows.shape[1] == size
            && _rows.dtype == first.dtype && _rows.device.ToString() == first.device.ToString())
            return;
        Release();
        _rows = torch.zeros(new long[] { taskCount, size }, dtype: first.dtype, device: first.device).DetachFromDisposeScope();
        _update = torch.zeros(size, dtype: first.dtype, device: first.device).DetachFromDisposeScope();
        _rowViews = new Tensor[taskCount][];
        for (var t = 0; t < taskCount; t++)
        {
            using var row = _rows[t];
            _rowViews[t] = Views(row);
        }
        _updateViews = Views(_update);
    }

    /// <summary>Points the shared parameters' <c>.grad</c> at row <paramref name="task"/>: the next backward accumulates there.</summary>
    public void RouteGradientsToRow(int task)
    {
        for (var k = 0; k < _shared.Length; k++)
            _shared[k].grad = _rowViews[task][k];
    }

    /// <summary>Adds <paramref name="gradient"/> (shaped like shared parameter <paramref name="parameter"/>) to row <paramref name="task"/>.</summary>
    public void AddToRow(int task, int parameter, Tensor gradient) => _rowViews[task][parameter].add_(gradient);

    /// <summary>Points the shared parameters' <c>.grad</c> at the update.</summary>
    public void RouteGradientsToUpdate()
    {
        for (var k = 0; k < _shared.Length; k++)
            _shared[k].grad = _updateViews[k];
    }

    /// <summary>Detaches the shared parameters' <c>.grad</c> (so that zeroing the wrapped optimizer does not pass over the update too).</summary>
    public void DetachGradients()
    {
        foreach (var p in _shared)
            p.grad = null;
    }

    /// <summary>Zeroes G and the update in place.</summary>
    public void Zero()
    {
        _rows?.zero_();
        _update?.zero_();
    }

    /// <inheritdoc />
    public void Dispose() => Release();

    private Tensor[] Views(Tensor flat)
    {
        var views = new Tensor[_shared.Length];
        long offset = 0;
        for (var k = 0; k < _shared.Length; k++)
        {
            var n = _shared[k].numel();
            views[k] = flat.narrow(0, offset, n).view(_shared[k].shape).DetachFromDisposeScope();
            offset += n;
        }
        return views;
    }

    private void Release()
    {
        foreach (var views in _rowViews)
        {
            foreach (var v in views)
                v.Dispose();
        }
        foreach (var v in _updateViews)
            v.Dispose();
        _rows?.Dispose();
        _update?.Dispose();
        _rows = null;
        _update = null;
        _rowViews = Array.Empty<Tensor[]>();
        _updateViews = Array.Empty<Tensor>();
    }
}
