using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Optimizer;

public class ParameterGradientsTests
{
    private static Parameter WithGrad(Tensor grad)
    {
        var p = new Parameter(torch.zeros_like(grad));
        p.grad = grad;
        return p;
    }

    [Fact]
    public void A_finite_gradient_whose_sum_overflows_its_dtype_is_finite()
    {
        using var scope = NewDisposeScope();
        var large = WithGrad(torch.full(100_000, 1.0, dtype: ScalarType.Float16));
        Assert.Equal(-1, ParameterGradients.FirstNonFinite(new[] { large }));
    }

    [Fact]
    public void The_first_parameter_with_a_NaN_or_infinity_is_found_and_missing_gradients_are_skipped()
    {
        using var scope = NewDisposeScope();
        var none = new Parameter(torch.zeros(3));
        var fine = WithGrad(torch.ones(4));
        var inf = WithGrad(torch.tensor(new float[] { 1, float.PositiveInfinity }));
        var nan = WithGrad(torch.tensor(new float[] { float.NaN, 1 }));
        Assert.Equal(2, ParameterGradients.FirstNonFinite(new[] { none, fine, inf, nan }));
        Assert.Equal(1, ParameterGradients.FirstNonFinite(new[] { fine, nan }));
        Assert.Equal(-1, ParameterGradients.FirstNonFinite(new[] { none, fine }));
    }
}
