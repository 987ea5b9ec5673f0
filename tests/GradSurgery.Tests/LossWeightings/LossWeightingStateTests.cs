using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace GradSurgery.Tests.LossWeightings;

/// <summary>Every loss weighting's state: reset, save and restore, and the messages of a bad state.</summary>
public class LossWeightingStateTests
{
    public static IEnumerable<object[]> All() => LossWeightingFactories.All();

    private static void SameRuns(List<double[]> expected, List<double[]> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var step = 0; step < expected.Count; step++)
            Assert.Equal(expected[step], actual[step]);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Reset_makes_the_next_run_repeat_the_first(string name)
    {
        var layer = LossWeightingFactories.Layer();
        var weighting = LossWeightingFactories.Create(name, layer);
        var first = LossWeightingFactories.Run(weighting, layer, 0, 12);
        weighting.Reset();
        SameRuns(first, LossWeightingFactories.Run(weighting, layer, 0, 12));
    }

    [Theory]
    [MemberData(nameof(All))]
    public void A_saved_state_continues_exactly_in_a_fresh_instance(string name)
    {
        var layer = LossWeightingFactories.Layer();
        var original = LossWeightingFactories.Create(name, layer);
        LossWeightingFactories.Run(original, layer, 0, 7);
        var saved = original.StateDict();
        var continued = LossWeightingFactories.Run(original, layer, 7, 14);
        var restored = LossWeightingFactories.Create(name, layer);
        restored.LoadStateDict(saved);
        SameRuns(continued, LossWeightingFactories.Run(restored, layer, 7, 14));
    }

    [Theory]
    [MemberData(nameof(All))]
    public void The_state_changes_when_the_method_has_state_and_saved_arrays_are_copies(string name)
    {
        var layer = LossWeightingFactories.Layer();
        var weighting = LossWeightingFactories.Create(name, layer);
        var initial = weighting.StateDict();
        LossWeightingFactories.Run(weighting, layer, 0, 7);
        var later = weighting.StateDict();
        var stateless = name is "GLS" or "log";
        Assert.Equal(stateless, initial.Keys.All(k => initial[k].SequenceEqual(later[k])));
        foreach (var values in later.Values)
            Array.Fill(values, double.NaN);
        Assert.DoesNotContain(weighting.StateDict().Values.SelectMany(v => v), double.IsNaN);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void A_state_with_a_missing_or_wrong_length_entry_is_rejected_with_its_key(string name)
    {
        var layer = LossWeightingFactories.Layer();
        var weighting = LossWeightingFactories.Create(name, layer);
        var state = weighting.StateDict();
        Assert.Throws<ArgumentNullException>(() => weighting.LoadStateDict(null!));
        foreach (var key in state.Keys)
        {
            var missing = state.Where(kv => kv.Key != key).ToDictionary(kv => kv.Key, kv => kv.Value);
            var error = Assert.Throws<ArgumentException>(() => weighting.LoadStateDict(missing));
            Assert.Contains($"\"{key}\"", error.Message, StringComparison.Ordinal);
            Assert.Equal("state", error.ParamName);
            var longer = state.ToDictionary(kv => kv.Key, kv => kv.Key == key ? [.. kv.Value, 1.0, 1.0, 1.0, 1.0] : kv.Value);
            Assert.Throws<ArgumentException>(() => weighting.LoadStateDict(longer));
            var infinite = state.ToDictionary(kv => kv.Key, kv => kv.Key == key ? [double.PositiveInfinity] : kv.Value);
            Assert.Throws<ArgumentException>(() => weighting.LoadStateDict(infinite));
        }
    }

    [Fact]
    public void Loading_a_rlw_state_of_another_seed_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new RandomLossWeighting(seed: 1).LoadStateDict(new RandomLossWeighting(seed: 2).StateDict()));
        Assert.Contains("seed 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inconsistent_epoch_states_are_rejected()
    {
        var dwa = new Dwa(2);
        var state = dwa.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        state["before_last_means"] = [1, 1];
        Assert.Throws<ArgumentException>(() => dwa.LoadStateDict(state));
        var stch = new Stch(2, warmupEpochs: 0);
        var stchState = stch.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        stchState["epoch"] = [3];
        var error = Assert.Throws<ArgumentException>(() => stch.LoadStateDict(stchState));
        Assert.Contains("nadir", error.Message, StringComparison.Ordinal);
        stchState["nadir"] = [1, -1];
        Assert.Throws<ArgumentException>(() => stch.LoadStateDict(stchState));
        var famo = new Famo(2);
        var famoState = famo.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        famoState["losses_before_count"] = [2];
        Assert.Throws<ArgumentException>(() => famo.LoadStateDict(famoState));
        famoState["losses_before_count"] = [0.5];
        Assert.Throws<ArgumentException>(() => famo.LoadStateDict(famoState));
    }

    [Fact]
    public void Epoch_ends_without_losses_are_reported()
    {
        Assert.Contains("no losses", Assert.Throws<InvalidOperationException>(() => new Dwa(2).EndEpoch()).Message, StringComparison.Ordinal);
        Assert.Contains("no losses", Assert.Throws<InvalidOperationException>(() => new Stch(2, warmupEpochs: 0).EndEpoch()).Message, StringComparison.Ordinal);
        var stch = new Stch(2, warmupEpochs: 0);
        LossLeaves.Weights(stch, 0, 1);
        Assert.Contains("task 0", Assert.Throws<InvalidOperationException>(stch.EndEpoch).Message, StringComparison.Ordinal);
    }
}
