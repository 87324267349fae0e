#!/usr/bin/env bash
# Set up the benchmark venv, then run both Python baselines and write JSON.
#
#   bench/baselines/run_all.sh [RESULTS_DIR]        (default /tmp/fixar-baselines)
#
# Extra arguments for the scripts can be passed through the environment:
#   DDPG_TORCH_ARGS="--batches 64,512"  SB3_ARGS="--steps 2000"
# Writes RESULTS_DIR/{ddpg_torch.json,ddpg_torch_fq.json,ddpg_torch_qtorch.json,sb3_ddpg.json,*.txt,env.txt}.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-/tmp/fixar-baselines}"
VENV="${VENV:-$repo/.venv-bench}"
export VENV
mkdir -p "$out"

"$here/setup_venv.sh" | tee "$out/setup.txt"
py="$VENV/bin/python"

{
  echo "date: $(date -Is)"
  echo "host: $(uname -a)"
  echo "cpus: $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))"
  echo "uptime at start: $(uptime)"
} | tee "$out/env.txt"

# shellcheck disable=SC2086
"$py" "$here/ddpg_torch.py" ${DDPG_TORCH_ARGS:-} --json "$out/ddpg_torch.json" \
  | tee "$out/ddpg_torch.txt"
# The fixed-point peer: the same update with FIXAR's formats by fake quantization, with
# PyTorch's own ops and with qtorch's kernels (ddpg_torch.py's doc).
# shellcheck disable=SC2086
"$py" "$here/ddpg_torch.py" ${DDPG_TORCH_ARGS:-} --emulate fixar --fq-backend torch \
  --json "$out/ddpg_torch_fq.json" | tee "$out/ddpg_torch_fq.txt"
# shellcheck disable=SC2086
"$py" "$here/ddpg_torch.py" ${DDPG_TORCH_ARGS:-} --emulate fixar --fq-backend qtorch \
  --json "$out/ddpg_torch_qtorch.json" | tee "$out/ddpg_torch_qtorch.txt"
# shellcheck disable=SC2086
"$py" "$here/sb3_ddpg.py" ${SB3_ARGS:-} --json "$out/sb3_ddpg.json" \
  | tee "$out/sb3_ddpg.txt"

echo "uptime at end: $(uptime)" | tee -a "$out/env.txt"
echo "results in $out"
