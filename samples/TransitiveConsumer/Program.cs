// A user's application that uses GradSurgery only through its own class library (TwoTaskTraining).
// On Debian 12 / Ubuntu 22.04 it starts only if the package's GLIBCXX fix reached it transitively.
// Exits non-zero when a method fails to halve both task losses.
using GradSurgery;
using TwoTaskTraining;

// A method passes when each task's final loss is below this fraction of its initial loss.
const double RequiredReduction = 0.5;

var failures = 0;
foreach (var method in WeightingCatalog.Names)
{
    var ratios = SharedTrunkTraining.LossRatios(method);
    var ok = ratios.All(r => double.IsFinite(r) && r < RequiredReduction);
    failures += ok ? 0 : 1;
    Console.WriteLine($"{method,-12} final/initial loss {ratios[0]:F3}, {ratios[1]:F3}  {(ok ? "ok" : "FAILED")}");
}
return failures == 0 ? 0 : 1;
