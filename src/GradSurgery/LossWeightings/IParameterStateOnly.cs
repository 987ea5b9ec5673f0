namespace GradSurgery;

/// <summary>
/// A loss weighting whose only state is its trainable parameters, which <see cref="ILossWeighting.Weigh"/>
/// never changes (the optimizer does): the wrapper need not save its state before a step to restore it
/// after a failure, which saves a host read of the parameters per step.
/// </summary>
internal interface IParameterStateOnly
{
}
