using System;
using System.Collections.Generic;

namespace GradSurgery;

/// <summary>Reading the arrays of a loss weighting's state dictionary, with messages that name the method and key.</summary>
internal static class StateArrays
{
    /// <summary>A copy of <c>state[key]</c>, which must exist, hold <paramref name="length"/> values (any length when null) and be finite.</summary>
    public static double[] Read(IReadOnlyDictionary<string, double[]> state, string key, int? length, string method)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.TryGetValue(key, out var values) || values is null)
            throw new ArgumentException($"The state has no \"{key}\": it was not saved by {method}.", nameof(state));
        if (length is { } expected && values.Length != expected)
            throw new ArgumentException($"{method}'s \"{key}\" must hold {expected} values; got {values.Length}.", nameof(state));
        foreach (var value in values)
        {
            if (!double.IsFinite(value))
                throw new ArgumentException($"{method}'s \"{key}\" holds {value}; state values must be finite.", nameof(state));
        }
        return (double[])values.Clone();
    }

    /// <summary>An array of T values, or null when saved empty (the state is not there yet).</summary>
    public static double[]? ReadOptional(IReadOnlyDictionary<string, double[]> state, string key, int length, string method)
    {
        var values = Read(state, key, null, method);
        if (values.Length == 0)
            return null;
        return values.Length == length ? values : throw new ArgumentException($"{method}'s \"{key}\" must hold {length} values or none; got {values.Length}.", nameof(state));
    }

    /// <summary>
    /// 2⁶³, the double that long.MaxValue rounds to: every whole double below it fits in a long, 2⁶³ itself
    /// does not (a comparison with long.MaxValue would convert it to 2⁶³ and let it through).
    /// </summary>
    private const double LongLimit = 9223372036854775808.0;

    /// <summary>A non-negative whole number saved as a one-element array.</summary>
    public static long ReadCount(IReadOnlyDictionary<string, double[]> state, string key, string method)
    {
        var value = Read(state, key, 1, method)[0];
        return value >= 0 && value == Math.Floor(value) && value < LongLimit
            ? (long)value
            : throw new ArgumentException($"{method}'s \"{key}\" must be a whole number ≥ 0; got {value}.", nameof(state));
    }
}
