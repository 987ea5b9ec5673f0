#!/usr/bin/env bash
# Mutation testing of the library's math with Stryker.NET (a local dotnet tool, .config/dotnet-tools.json).
#   scripts/mutation.sh                                   everything in tests/GradSurgery.Tests/stryker-config.json
#                                                         (Solvers, Weightings, Gram, Aggregation, LossWeightings; ~40 min on 2 cores)
#   scripts/mutation.sh -m "**/Solvers/**/*.cs"           one folder (daily use; Solvers ~10 min)
#   scripts/mutation.sh -m "**/Solvers/**/*.cs" --test-case-filter "FullyQualifiedName~Solvers"
# Any Stryker option may follow. The report lands in tests/GradSurgery.Tests/StrykerOutput/<date>/reports/.
# During the run theories are not pre-enumerated (the build copies xunit.runner.mutation.json as xunit.runner.json):
# expanding the large double[,] theory data would cost seconds per mutant test run. The file is removed
# afterwards so that ordinary test runs count every theory case again.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/tests/GradSurgery.Tests"
dotnet tool restore >/dev/null
runner_config="bin/Release/net10.0/xunit.runner.json"
cleanup() { rm -f "$runner_config"; }
trap cleanup EXIT
export GradSurgeryMutationRun=true   # read by GradSurgery.Tests.csproj as an MSBuild property
dotnet stryker "$@"
