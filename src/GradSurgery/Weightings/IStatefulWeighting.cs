namespace GradSurgery;

/// <summary>
/// A weighting whose weights depend on its earlier calls (a random generator, a moving average): its
/// state is explicit and can be reset. One instance serves one training run and one thread.
/// </summary>
public interface IStatefulWeighting : IGramianWeighting
{
    /// <summary>Returns the state to what it was right after construction (the next call behaves as the first).</summary>
    void Reset();
}
