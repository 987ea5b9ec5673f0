using System;

namespace GradSurgery.Tests.Properties;

/// <summary>
/// One configured method of the property suite, with the properties the table declares for it.
/// true: the property holds on every case of the suite; false: some case of the suite breaks it (the
/// test finds that counterexample, so every cell of the table is asserted either way).
/// </summary>
/// <param name="Label">The row label of the table.</param>
/// <param name="Create">A fresh instance for T tasks (stateful methods start from the same state every time).</param>
/// <param name="MinimumTasks">The smallest T the method accepts (Krum: f + 3, TrimmedMean: 2f + 1).</param>
/// <param name="NonConflicting">d·gⱼ ≥ 0 for every task j.</param>
/// <param name="PermutationInvariant">Permuting the tasks leaves d unchanged.</param>
/// <param name="LinearUnderScaling">d(s·G) = s·d(G) for s &gt; 0.</param>
/// <param name="NonZeroUnlessStronglyStationary">d ≠ 0 whenever no strictly positive combination of the gradients vanishes.</param>
/// <param name="ConflictSlack">Allowed d·gⱼ below 0, relative to ‖d‖·‖gⱼ‖: round-off, or a documented regularisation.</param>
public sealed record SuiteMethod(
    string Label,
    Func<int, IGradientAggregator> Create,
    int MinimumTasks,
    bool NonConflicting,
    bool PermutationInvariant,
    bool LinearUnderScaling,
    bool NonZeroUnlessStronglyStationary,
    double ConflictSlack = SuiteMethod.RoundOff)
{
    /// <summary>Relative round-off allowance of the exact methods.</summary>
    public const double RoundOff = 1e-9;

    public override string ToString() => Label;
}
