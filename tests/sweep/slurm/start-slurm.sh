#!/usr/bin/env bash
# Starts a single-node Slurm (munged, slurmctld, slurmd) kept in DIR, as root, and waits until
# its node is idle; then point the Slurm commands at it and try the sweep backend:
#   tests/sweep/slurm/start-slurm.sh /tmp/fixar-slurm
#   export SLURM_CONF=/tmp/fixar-slurm/slurm.conf
#   build/release/fixar sweep run tests/sweep/slurm/grid.toml --dir /tmp/fixar-sweep --slurm
#   squeue; build/release/fixar sweep status /tmp/fixar-sweep
#   tests/sweep/slurm/stop-slurm.sh /tmp/fixar-slurm
# Settings: see tests/sweep/slurm/slurm.sh. docs/scale-out.md.
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR   (a directory for the cluster's config, state and logs)" >&2; exit 2; }
source "$(dirname "$(readlink -f "$0")")/slurm.sh"
slurm_start "$1" || exit 1
echo "export SLURM_CONF=$SLURM_CONF"
