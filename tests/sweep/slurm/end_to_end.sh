#!/usr/bin/env bash
# `fixar sweep run --slurm` against a real single-node Slurm (ctest: sweep_slurm_end_to_end).
#
#  1. starts munged, slurmctld and slurmd in a temporary directory (slurm.sh);
#  2. submits tests/sweep/slurm/grid.toml (4 Pendulum runs of 4 000 steps) as one array job;
#  3. as soon as run 3 (Pendulum_fixar_s1) has written its first checkpoint, requeues its
#     array task (`scontrol requeue JOB_3`): Slurm sends SIGTERM, the run stops at the next
#     episode boundary with a checkpoint, and the task is started again (after Slurm's
#     requeue delay) and resumes;
#  4. meanwhile runs the same run 3 here, uninterrupted (`fixar sweep task` in another sweep
#     directory);
#  5. checks: the array job completed, every run finished its 4 000 steps (`sweep status`,
#     summary.json), task 3 ran twice (Restarts=1, two attempts in its logs, the first one
#     interrupted mid-run, the second resumed from the checkpoint), and the requeued run ends
#     identical to the uninterrupted one: evaluations, final and best evaluation, QAT switch,
#     and every logged step's return, critic loss and Q of progress.csv;
#  6. stops the cluster and checks nothing of it is left running.
#
# Usage: end_to_end.sh FIXAR_BINARY   (as root; from ctest, or by hand from any directory)
# FIXAR_SLURM_TEST_BUDGET: seconds for the whole test (default 240); FIXAR_KEEP_TMP=1 keeps
# the temporary directory. Exit 77 (a ctest skip) only when not run as root.
set -uo pipefail

fixar=${1:?usage: end_to_end.sh FIXAR_BINARY}
here=$(dirname "$(readlink -f "$0")")
root=$(cd "$here/../../.." && pwd)
source "$here/slurm.sh"
budget=${FIXAR_SLURM_TEST_BUDGET:-240}
grid=tests/sweep/slurm/grid.toml
victim=3
victim_name=Pendulum_fixar_s1
steps=4000
t_start=$SECONDS

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the single-node Slurm needs root (slurmd starts jobs as their user); this is uid $(id -u)"
  exit 77
fi
[ -x "$fixar" ] || { echo "FAIL: '$fixar' is not an executable fixar binary" >&2; exit 1; }

tmp=$(mktemp -d /tmp/fixar-slurm-e2e.XXXXXX)
chmod 755 "$tmp"
ref_pid=""

say() { printf '[%3d s] %s\n' $((SECONDS - t_start)) "$*"; }

dump_logs() {
  local f
  for f in "$tmp/sweep/logs/$victim_name.log" "$tmp"/sweep/logs/slurm-*.log "$tmp/ref.out"; do
    [ -s "$f" ] && { echo "--- $f (last 30 lines):"; tail -n 30 "$f"; }
  done
  slurm_logs_tail "$tmp/slurm"
}

fail() {
  echo "FAIL: $*" >&2
  dump_logs >&2
  exit 1
}

cleanup() {
  local rc=$?
  [ -n "$ref_pid" ] && kill "$ref_pid" 2>/dev/null
  slurm_stop "$tmp/slurm"
  if [ "${FIXAR_KEEP_TMP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Seconds left of the budget (fails when none are).
left() {
  local l=$((budget - (SECONDS - t_start)))
  ((l > 0)) || fail "over the budget of ${budget} s (FIXAR_SLURM_TEST_BUDGET) while $1"
  echo "$l"
}

# ---- 1. the cluster ------------------------------------------------------------------
slurm_start "$tmp/slurm" || fail "the single-node Slurm did not start (above)"
slurm_watchdog "$tmp/slurm" $$
t_up=$SECONDS

# ---- 2. submit -----------------------------------------------------------------------
cd "$root" || fail "cannot cd to $root"
list=$("$fixar" sweep list "$grid" 2>&1) || fail "fixar sweep list $grid: $list"
grep -q "^ *$victim  $victim_name " <<<"$list" || fail "run $victim of $grid is not $victim_name:
$list"
out=$("$fixar" sweep run "$grid" --dir "$tmp/sweep" --slurm 2>&1) || fail "fixar sweep run --slurm failed: $out"
say "$out"
job=$(sed -n 's/.*: job \([0-9][0-9]*\), 4 array tasks.*/\1/p' <<<"$out")
[ -n "$job" ] || fail "no job id in the output of sweep run --slurm: $out"
grep -q '^#SBATCH --open-mode=append$' "$tmp/sweep/sweep.sbatch" ||
  fail "sweep.sbatch lacks --open-mode=append (a requeued task would truncate its Slurm log)"

# ---- 4. the uninterrupted reference, here, while Slurm runs ----------------------------
"$fixar" sweep run "$grid" --dir "$tmp/ref" --slurm --dry-run >"$tmp/ref.out" 2>&1 ||
  fail "preparing the reference sweep directory failed"
"$fixar" sweep task "$tmp/ref" "$victim" >>"$tmp/ref.out" 2>&1 &
ref_pid=$!

# ---- 3. requeue the victim once it has a checkpoint ------------------------------------
run_dir=$tmp/sweep/runs/$victim_name
while [ ! -f "$run_dir/checkpoint.bin" ]; do
  left "waiting for $victim_name's first checkpoint ($run_dir/checkpoint.bin)" >/dev/null || exit 1
  sleep 0.1
done
[ -f "$run_dir/summary.json" ] && fail "$victim_name finished before it could be requeued: lengthen $grid"
req=$(scontrol requeue "${job}_${victim}" 2>&1) || fail "scontrol requeue ${job}_${victim} failed: $req"
t_requeue=$SECONDS
say "requeued array task ${job}_${victim} ($victim_name) after its first checkpoint"

# ---- wait for the array job ------------------------------------------------------------
last_report=0
while :; do
  queue=$(squeue -h -j "$job" -o '%i %T %r' 2>&1) || fail "squeue -j $job failed: $queue"
  [ -z "$queue" ] && break
  if ((SECONDS - last_report >= 10)); then
    say "queue: $(tr '\n' ';' <<<"$queue")"
    last_report=$SECONDS
  fi
  left "waiting for job $job (squeue: $(tr '\n' ';' <<<"$queue"))" >/dev/null || exit 1
  sleep 0.5
done
t_done=$SECONDS
say "array job $job finished"

# ---- 5. checks -------------------------------------------------------------------------
for i in 0 1 2 3; do
  info=$(scontrol show job "${job}_${i}" 2>&1) || fail "scontrol show job ${job}_${i}: $info"
  state=$(grep -o 'JobState=[A-Z_]*' <<<"$info")
  restarts=$(grep -o 'Restarts=[0-9]*' <<<"$info")
  code=$(grep -o ' ExitCode=[0-9:]*' <<<"$info" | head -n 1)
  [ "$state" = JobState=COMPLETED ] || fail "array task ${job}_${i}: $state, expected COMPLETED ($code)"
  want=Restarts=0
  [ "$i" = "$victim" ] && want=Restarts=1
  [ "$restarts" = "$want" ] || fail "array task ${job}_${i}: $restarts, expected $want"
done

status=$("$fixar" sweep status "$tmp/sweep" 2>&1) || fail "fixar sweep status: $status"
grep -q "total: 4 done, 0 running, 0 partial, 0 not started, 0 failed" <<<"$status" ||
  fail "not every run is done:
$status"
for s in "$tmp"/sweep/runs/*/summary.json; do
  got=$(jq -r '"\(.steps) \(.interrupted)"' "$s") || fail "$s is not JSON"
  [ "$got" = "$steps false" ] || fail "$s: steps and interrupted are '$got', expected '$steps false'"
done

log=$tmp/sweep/logs/$victim_name.log
attempts=$(grep -c '^=== .* fixar sweep (' "$log")
[ "$attempts" = 2 ] || fail "$log records $attempts attempts, expected 2 (the first requeued)"
grep -q '^=== .* interrupted after ' "$log" || fail "$log: the first attempt did not end interrupted"
stopped_at=$(sed -n 's/.*interrupted at step \([0-9]*\) of .*/\1/p' "$log")
[ -n "$stopped_at" ] && ((stopped_at >= 500 && stopped_at < steps)) ||
  fail "$log: no 'interrupted at step K of $steps' with 500 <= K < $steps (got '${stopped_at}')"
grep '^=== .* fixar sweep (' "$log" | tail -n 1 | grep -qF " train --resume $run_dir " ||
  fail "$log: the second attempt did not resume (train --resume $run_dir)"
slog=$tmp/sweep/logs/slurm-${job}_${victim}.log
grep -q "$victim_name (new)" "$slog" && grep -q "$victim_name (resuming from its checkpoint" "$slog" ||
  fail "$slog should hold both attempts: the first starting $victim_name new, the second resuming it"

wait "$ref_pid" || fail "the uninterrupted reference run (fixar sweep task $tmp/ref $victim) failed"
ref_pid=""
ref_dir=$tmp/ref/runs/$victim_name
fields='{steps, episodes, evals, final_eval_mean, final_eval_std, best_eval_mean, qat}'
a=$(jq -S "$fields" "$run_dir/summary.json") && b=$(jq -S "$fields" "$ref_dir/summary.json") ||
  fail "cannot read the two summaries"
[ "$a" = "$b" ] || fail "the requeued run differs from the uninterrupted one:
$(diff <(echo "$b") <(echo "$a"))"
# progress.csv: step, episode, return, length, eval mean/std, critic loss, Q (not the timings).
a=$(cut -d, -f1-8 "$run_dir/progress.csv") && b=$(cut -d, -f1-8 "$ref_dir/progress.csv") ||
  fail "cannot read the two progress.csv"
[ "$a" = "$b" ] || fail "progress.csv of the requeued run differs from the uninterrupted one:
$(diff <(echo "$b") <(echo "$a") | head -n 20)"
rows=$(wc -l <"$run_dir/progress.csv")
say "requeued run stopped at step $stopped_at, resumed, and equals the uninterrupted run: final eval $(jq .final_eval_mean "$run_dir/summary.json"), $(jq '.evals | length' "$run_dir/summary.json") evaluations, $((rows - 1)) progress rows"

# ---- 6. stop, nothing left ---------------------------------------------------------------
slurm_stop "$tmp/slurm"
left_over=$(slurm_leftovers "$tmp/slurm")
[ -z "$left_over" ] || fail "processes of the cluster still running after stop: $(ps -o pid,cmd -p $left_over)"
say "PASS: Slurm up in $((t_up - t_start)) s; requeue after $((t_requeue - t_up)) s; array job done $((t_done - t_up)) s after submission ($((t_done - t_requeue)) s after the requeue); total $((SECONDS - t_start)) s"
