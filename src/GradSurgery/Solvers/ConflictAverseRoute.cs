namespace GradSurgery;

/// <summary>Which part of <see cref="ConflictAverseDual"/> produced its answer (a test seam: each path is tested on its own).</summary>
internal enum ConflictAverseRoute
{
    /// <summary>One task: w = (1).</summary>
    SingleTask,

    /// <summary>The closed-form active-set search of <see cref="ConflictAverseSupport"/> starting from all tasks.</summary>
    ClosedForm,

    /// <summary>The root of √q(t) − t lies at an end of its bracket (or the closed form on the support of an end's inner solution passed the KKT test).</summary>
    BracketEnd,

    /// <summary>Brent's root search inside the bracket.</summary>
    RootSearch,
}
