using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.LossWeightings;

/// <summary>Options and inputs outside each method's domain: the exception, the parameter it names and its message.</summary>
public class LossWeightingValidationTests
{
    private static Parameter Layer() => LossWeightingFactories.Layer();

    public static TheoryData<string, Action, string, string> BadOptions() => new()
    {
        { "UW tasks", () => _ = new UncertaintyWeighting(0), "taskCount", "UW's taskCount must be ≥ 1." },
        { "UW start", () => _ = new UncertaintyWeighting(2, double.NaN), "initial", "UW's initial value must be finite." },
        { "IMTL-L tasks", () => _ = new ImtlL(-1), "taskCount", "IMTL-L's taskCount must be ≥ 1." },
        { "IMTL-L start", () => _ = new ImtlL(2, double.PositiveInfinity), "initial", "IMTL-L's initial value must be finite." },
        { "DWA tasks", () => _ = new Dwa(0), "taskCount", "DWA's taskCount must be ≥ 1." },
        { "DWA temperature", () => _ = new Dwa(2, 0), "temperature", "DWA's temperature must be finite and > 0." },
        { "DWA infinite temperature", () => _ = new Dwa(2, double.PositiveInfinity), "temperature", "DWA's temperature must be finite and > 0." },
        { "STCH tasks", () => _ = new Stch(0), "taskCount", "STCH's taskCount must be ≥ 1." },
        { "STCH mu", () => _ = new Stch(2, mu: 0), "mu", "STCH's mu must be finite and > 0." },
        { "STCH warm-up", () => _ = new Stch(2, warmupEpochs: -1), "warmupEpochs", "STCH's warmupEpochs must be ≥ 0." },
        { "FAMO tasks", () => _ = new Famo(0), "taskCount", "FAMO's taskCount must be ≥ 1." },
        { "FAMO learning rate", () => _ = new Famo(2, learningRate: -0.1), "learningRate", "FAMO's learningRate must be finite and ≥ 0." },
        { "FAMO weight decay", () => _ = new Famo(2, weightDecay: double.NaN), "weightDecay", "FAMO's weightDecay must be finite and ≥ 0." },
        { "GradNorm tasks", () => _ = new GradNorm(0, [Layer()]), "taskCount", "GradNorm's taskCount must be ≥ 1." },
        { "GradNorm alpha", () => _ = new GradNorm(2, [Layer()], alpha: -1), "alpha", "GradNorm's alpha must be finite and ≥ 0." },
        { "DB-MTL beta", () => _ = new DbMtl(beta: 1), "beta", "DB-MTL's beta must be in [0, 1)." },
        { "DB-MTL negative beta", () => _ = new DbMtl(beta: -0.1), "beta", "DB-MTL's beta must be in [0, 1)." },
        { "DB-MTL sigma", () => _ = new DbMtl(betaSigma: -1), "betaSigma", "DB-MTL's betaSigma must be finite and ≥ 0." },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Options_out_of_range_are_rejected_with_their_name_and_range(string label, Action create, string parameter, string message)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(create);
        Assert.Equal(parameter, error.ParamName);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        Assert.NotEmpty(label);
    }

    [Fact]
    public void GradNorm_layer_must_be_trainable_parameters_on_one_device()
    {
        Assert.Throws<ArgumentNullException>(() => new GradNorm(2, null!));
        Assert.Contains("no parameters", Assert.Throws<ArgumentException>(() => new GradNorm(2, [])).Message, StringComparison.Ordinal);
        Assert.Contains("null", Assert.Throws<ArgumentException>(() => new GradNorm(2, [null!])).Message, StringComparison.Ordinal);
        var frozen = new Parameter(torch.ones(2), requires_grad: false);
        Assert.Contains("frozen", Assert.Throws<ArgumentException>(() => new GradNorm(2, [frozen])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scale_parameters_must_be_float32_or_float64()
    {
        var error = Assert.Throws<ArgumentException>(() => new UncertaintyWeighting(2, dtype: ScalarType.Int32));
        Assert.Equal("dtype", error.ParamName);
        Assert.Contains("float32 or float64", error.Message, StringComparison.Ordinal);
    }

    public static IEnumerable<object[]> All() => LossWeightingFactories.All();

    [Theory]
    [MemberData(nameof(All))]
    public void Null_empty_mismatched_and_non_finite_inputs_are_rejected(string name)
    {
        using var scope = NewDisposeScope();
        var weighting = LossWeightingFactories.Create(name, LossWeightingFactories.Layer());
        var losses = LossLeaves.Of(1, 2, 3);
        Assert.Throws<ArgumentNullException>(() => weighting.Weigh(null!, [1, 2, 3]));
        Assert.Throws<ArgumentNullException>(() => weighting.Weigh(losses, null!));
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => weighting.Weigh([], [])).Message, StringComparison.Ordinal);
        Assert.Contains("Got 2 loss values for 3 losses", Assert.Throws<ArgumentException>(() => weighting.Weigh(losses, [1, 2])).Message, StringComparison.Ordinal);
        Assert.Contains("loss 1 is NaN", Assert.Throws<ArgumentException>(() => weighting.Weigh(losses, [1, double.NaN, 3])).Message, StringComparison.Ordinal);
        Assert.Contains("Loss 2 is null", Assert.Throws<ArgumentException>(() => weighting.Weigh([losses[0], losses[1], null!], [1, 2, 3])).Message, StringComparison.Ordinal);
        // Nothing above touched the state.
        Assert.Equal(LossWeightingFactories.Create(name, LossWeightingFactories.Layer()).StateDict(), weighting.StateDict(), new StateComparer());
    }

    [Theory]
    [InlineData("UW")]
    [InlineData("IMTL-L")]
    [InlineData("DWA")]
    [InlineData("STCH")]
    [InlineData("FAMO")]
    [InlineData("GradNorm")]
    public void Methods_created_for_T_tasks_reject_another_count(string name)
    {
        using var scope = NewDisposeScope();
        var weighting = LossWeightingFactories.Create(name, LossWeightingFactories.Layer());
        var error = Assert.Throws<ArgumentException>(() => weighting.Weigh(LossLeaves.Of(1, 2), [1, 2]));
        Assert.Contains("created for 3 tasks; got 2 losses", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GLS", 0.0, "GLS needs every loss > 0 (the geometric mean of a zero or negative loss has no gradient)")]
    [InlineData("log", -1.0, "log(L + ε) needs every loss > -1E-08 (the logarithm needs L + ε > 0)")]
    [InlineData("STCH", -1.0, "STCH needs every loss > -1E-20 (its logarithms need L + 1e-20 > 0)")]
    [InlineData("FAMO", -1.0, "FAMO needs every loss > -1E-08 (its logarithms need L + 1e-8 > 0)")]
    [InlineData("GradNorm", 0.0, "GradNorm needs every loss > 0 (the first losses are the reference of the training rates)")]
    public void Losses_outside_a_method_domain_are_rejected(string name, double bad, string message)
    {
        using var scope = NewDisposeScope();
        var weighting = LossWeightingFactories.Create(name, LossWeightingFactories.Layer());
        var error = Assert.Throws<ArgumentException>(() => weighting.Weigh(LossLeaves.Of(1, bad, 3), [1, bad, 3]));
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        Assert.Contains($"loss 1 is {bad}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GradNorm_rejects_negative_losses_after_the_first_call()
    {
        using var scope = NewDisposeScope();
        var layer = LossWeightingFactories.Layer();
        var gradNorm = new GradNorm(2, [layer]);
        gradNorm.Weigh([layer.mean(), layer.mean()], [1, 1]);
        Assert.Contains("non-negative", Assert.Throws<ArgumentException>(() => gradNorm.Weigh([layer.mean(), layer.mean()], [1, -1])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trainable_scales_on_another_device_than_the_losses_are_reported()
    {
        if (!torch.cuda.is_available())
            return;
        using var scope = NewDisposeScope();
        var uw = new UncertaintyWeighting(1);
        var loss = torch.ones(1, device: CUDA).requires_grad_().sum();
        Assert.Contains("device", Assert.Throws<ArgumentException>(() => uw.Weigh([loss], [1])).Message, StringComparison.Ordinal);
    }

    private sealed class StateComparer : IEqualityComparer<IReadOnlyDictionary<string, double[]>>
    {
        public bool Equals(IReadOnlyDictionary<string, double[]>? x, IReadOnlyDictionary<string, double[]>? y) =>
            x!.Count == y!.Count && System.Linq.Enumerable.All(x, kv => y.TryGetValue(kv.Key, out var v) && System.Linq.Enumerable.SequenceEqual(kv.Value, v));

        public int GetHashCode(IReadOnlyDictionary<string, double[]> obj) => obj.Count;
    }
}
