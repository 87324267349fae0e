#!/usr/bin/env bash
# `mpirun -np 3 fixar autoq` gives the single-process results (ctest autoq_mpi_search):
# the same short synthetic search (every agent, two seeds) run in one process, under
# mpirun with 3 ranks (rank 0 the agents, 2 workers), and with rank 0 measuring too; the
# results files must be equal once the wall-clock columns are left out. Then a worker that
# fails (its target has other layers) must stop the run with its message, not hang.
# usage: mpi_search_test.sh FIXAR MPIEXEC OUT_DIR
set -euo pipefail
fixar=$1 mpiexec=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
# Open MPI refuses root without these (containers, CI); vader's single-copy (CMA) needs
# ptrace rights containers often lack: plain copy-in/out instead.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mpirun=("$mpiexec" --oversubscribe --allow-run-as-root)
args=(autoq --agent ppo,ddpg,random,uniform,sensitivity --episodes 16 --seeds 1,2 --no-final -q)

"$fixar" "${args[@]}" -o "$out/serial" >/dev/null
"${mpirun[@]}" -np 3 "$fixar" "${args[@]}" -o "$out/mpi3" >/dev/null
"${mpirun[@]}" -np 3 "$fixar" "${args[@]}" --mpi-rank0-measures -o "$out/mpi3_rank0" >/dev/null

# What must match: every record but its timing (measure_s, elapsed_s: the last two
# columns), PPO's log but its steps per second, the summary but its seconds.
strip() {
  cut -d, -f1-16 "$1/evaluations.csv" >"$1/evaluations.nontime"
  grep -v 'charts/SPS' "$1/ppo_log.csv" >"$1/ppo_log.nontime"
  grep -v '_seconds"' "$1/summary.json" >"$1/summary.nontime"
}
strip "$out/serial"
rows=$(wc -l <"$out/serial/evaluations.nontime")
[ "$rows" -gt 400 ] || { echo "FAIL: only $rows evaluation rows in the serial run"; exit 1; }
for run in mpi3 mpi3_rank0; do
  strip "$out/$run"
  for f in evaluations ppo_log summary; do
    if ! cmp -s "$out/serial/$f.nontime" "$out/$run/$f.nontime"; then
      echo "FAIL: $run/$f differs from the single-process run:"
      diff "$out/serial/$f.nontime" "$out/$run/$f.nontime" | head -20
      exit 1
    fi
  done
  echo "ok: $run equals the single-process run ($rows evaluation rows, ppo_log, summary)"
done

# A worker whose target does not match rank 0's (MPMD: other network) fails on its first
# candidate; rank 0 must report it and every rank end (timeout: a hang fails the test).
set +e
timeout 60 "${mpirun[@]}" -np 1 "$fixar" autoq --agent ppo --episodes 8 --no-final -q -o "$out/fail" : \
  -np 2 "$fixar" autoq --network lenet5 --agent ppo --episodes 8 --no-final -q -o "$out/fail" >"$out/fail.log" 2>&1
rc=$?
set -e
if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
  echo "FAIL: the run with a failing worker exited with $rc (0: no error; 124: hung)"
  cat "$out/fail.log"
  exit 1
fi
grep -q "failed measuring .*bit pairs for the 5 weight layers of synthetic:lenet5" "$out/fail.log" || {
  echo "FAIL: the worker's message did not reach the output:"
  cat "$out/fail.log"
  exit 1
}
echo "ok: a failing worker stops the run (exit $rc) with: $(grep -m1 'failed measuring' "$out/fail.log")"
