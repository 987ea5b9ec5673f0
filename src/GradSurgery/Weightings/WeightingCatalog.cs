using System;
using System.Collections.Generic;
using System.Linq;

namespace GradSurgery;

/// <summary>
/// Every Gram-space method this library ships, by the name each weighting gives itself
/// (<see cref="IGramianWeighting.Name"/>), with its default hyper-parameters. Tests, benchmarks and
/// samples enumerate methods here, so a new method is covered everywhere once it is listed.
/// </summary>
/// <remarks>
/// Methods that need arguments without a sensible default are not listed: <see cref="Constant"/> (the
/// weights), <see cref="Krum"/> (the number of Byzantine gradients, and T ≥ f + 3) and the
/// <see cref="CRMogm"/> decorator (the weighting it smooths). Elementwise aggregators that are not
/// weightings (<see cref="GradDrop"/>, <see cref="TrimmedMean"/>) are not either.
/// </remarks>
public static class WeightingCatalog
{
    /// <summary>One factory per method; the argument is the seed of methods that draw random numbers.</summary>
    private static readonly Func<int?, IGramianWeighting>[] Factories =
    [
        _ => new Mean(),
        _ => new Sum(),
        _ => new Mgda(),
        seed => new PCGrad(seed: seed),
        _ => new CAGrad(),
        _ => new GradOps(),
        _ => new AlignedMtl(),
        _ => new UPGrad(),
        _ => new DualProj(),
        _ => new ImtlG(),
        _ => new NashMtl(),
        seed => new GradVac(seed: seed),
        _ => new FairGrad(),
        _ => new ConFig(),
        seed => new Rlw(seed),
    ];

    /// <summary>The names of every method, in a fixed order (baselines first).</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(Factories.Select(create => create(0).Name).ToArray());

    /// <summary>A fresh instance of the method called <paramref name="name"/>, with default hyper-parameters.</summary>
    /// <param name="name">A name of <see cref="Names"/>; case, hyphens, underscores and spaces are ignored ("AlignedMTL" finds "Aligned-MTL").</param>
    /// <param name="seed">Seed of a method's random numbers (the task order of PCGrad and GradVac, RLW's draws); null draws one.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">No method has that name; the message lists the names.</exception>
    public static IGramianWeighting Create(string name, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = Normalise(name);
        for (var i = 0; i < Factories.Length; i++)
        {
            if (Normalise(Names[i]) == key)
                return Factories[i](seed);
        }
        throw new ArgumentException($"No method is called '{name}'. Known methods: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>A fresh instance of every method, in the order of <see cref="Names"/>.</summary>
    /// <param name="seed">Seed of the methods' random numbers; null draws one per method.</param>
    public static IReadOnlyList<IGramianWeighting> CreateAll(int? seed = null) =>
        Array.AsReadOnly(Factories.Select(create => create(seed)).ToArray());

    private static string Normalise(string name) =>
        new(name.Where(c => c is not ('-' or '_' or ' ')).Select(char.ToLowerInvariant).ToArray());
}
