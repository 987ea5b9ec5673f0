#!/usr/bin/env bash
# Mutation testing of the library's math with Stryker.NET (a local dotnet tool, .config/dotnet-tools.json).
#   scripts/mutation.sh                      everything in tests/GradSurgery.Tests/stryker-config.json
#                                            (Solvers, Weightings, Gram, Aggregation, LossWeightings: hours on 2 cores)
#   scripts/mutation.sh weightings           one part with the tests that cover it (the daily form; parts below,
#                                            with the times measured on 2 cores in tests/GradSurgery.Tests/MUTATION.md)
#   scripts/mutation.sh -m "**/Solvers/MinimumNormPoint.cs" --test-case-filter "FullyQualifiedName~Solvers"
#                                            any files and tests; any Stryker option may follow a part's name too
# Parts: kernels, weightings, aggregation, solvers, lossweightings.
# The report lands in tests/GradSurgery.Tests/StrykerOutput/<date>/reports/.
# During the run theories are not pre-enumerated (the build copies xunit.runner.mutation.json as xunit.runner.json):
# expanding the large double[,] theory data would cost seconds per mutant test run. The file is removed
# afterwards so that ordinary test runs count every theory case again.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tests="FullyQualifiedName~GradSurgery.Tests"
part=()
case "${1:-}" in
  kernels)
    part=(-m "**/Gram/CpuGram.cs" -m "**/Gram/NextChunkPrefetch.cs" -m "**/Gram/Lanes.cs" -m "**/Gram/ColumnPieces.cs" -m "**/Gram/OpenMpTeam.cs" -m "**/Aggregation/CpuCombine.cs"
          --test-case-filter "FullyQualifiedName~CpuKernelTests|FullyQualifiedName~ColumnPiecesTests|FullyQualifiedName~NextChunkPrefetchTests|FullyQualifiedName~OpenMpTeamTests") ;;
  weightings)
    part=(-m "**/Weightings/**/*.cs" --test-case-filter "$tests.Weightings|$tests.Properties") ;;
  aggregation)
    part=(-m "**/Aggregation/**/*.cs" -m "!**/Aggregation/CpuCombine.cs" -m "**/Gram/Gramian.cs" -m "**/Gram/SymmetricEigen.cs"
          --test-case-filter "$tests.Aggregation|$tests.Weightings") ;;
  solvers)
    part=(-m "**/Solvers/**/*.cs" --test-case-filter "$tests.Solvers|$tests.Weightings") ;;
  lossweightings)
    part=(-m "**/LossWeightings/**/*.cs" --test-case-filter "$tests.LossWeightings.LossWeightingHandWorkedTests|$tests.LossWeightings.LossWeightingStateTests|$tests.LossWeightings.LossWeightingValidationTests|$tests.LossWeightings.LossWeightingBehaviourTests|$tests.LossWeightings.LossWeightingContractTests") ;;
esac
if [ ${#part[@]} -gt 0 ]; then shift; fi
cd "$root/tests/GradSurgery.Tests"
dotnet tool restore >/dev/null
runner_config="bin/Release/net10.0/xunit.runner.json"
cleanup() { rm -f "$runner_config"; }
trap cleanup EXIT
export GradSurgeryMutationRun=true   # read by GradSurgery.Tests.csproj as an MSBuild property
dotnet stryker ${part[@]+"${part[@]}"} "$@"
