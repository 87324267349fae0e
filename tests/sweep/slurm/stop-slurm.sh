#!/usr/bin/env bash
# Stops the single-node Slurm that start-slurm.sh started in DIR: cancels its jobs, stops the
# daemons, kills what is left of it. DIR itself (config, logs) stays.
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR   (the directory given to start-slurm.sh)" >&2; exit 2; }
source "$(dirname "$(readlink -f "$0")")/slurm.sh"
slurm_stop "$1"
