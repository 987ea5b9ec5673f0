#!/usr/bin/env bash
# Installs MPICH (the MPI runtime GradSurgery.Mpi and its tests use) on Debian/Ubuntu where mpirun is
# missing. MPICH's ABI is what MPI.NET expects; Open MPI is not compatible. Idempotent.
set -euo pipefail
if command -v mpirun >/dev/null 2>&1 && ldconfig -p | grep -q 'libmpich.so.12'; then
  echo "MPICH is installed: $(command -v mpirun)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "No apt-get here: install MPICH (or MS-MPI / Intel MPI) with this system's package manager." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y --no-install-recommends mpich || { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends mpich; }
echo "MPICH installed: $(command -v mpirun)"
