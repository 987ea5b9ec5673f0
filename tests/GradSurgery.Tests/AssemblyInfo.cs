using Xunit;

// TorchSharp's live-tensor counters, manual seeds and dispose scopes are process-wide: tests that
// measure or depend on them must not interleave with others.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
