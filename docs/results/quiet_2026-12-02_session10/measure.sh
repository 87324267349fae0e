#!/usr/bin/env bash
# The quiet-machine measurement of issue #19: both campaigns paused (SIGSTOP) for its
# duration, resumed on any exit. Usage: measure.sh OUT_DIR (run from the repo root).
set -uo pipefail
out=$1; mkdir -p "$out"
pids=$(pgrep -f 'fixar-c7a588f73c4f train|fixar-10a58815cf8b' | tr '\n' ' ')
resume() { [ -n "$pids" ] && kill -CONT $pids 2>/dev/null; echo "$(date -u +%FT%TZ) resumed after quiet measurement ($pids)" >> /root/fixar-campaign/pauses.log; }
trap resume EXIT
echo "$(date -u +%FT%TZ) paused for quiet measurement ($pids)" >> /root/fixar-campaign/pauses.log
[ -n "$pids" ] && kill -STOP $pids
sleep 3
{ echo "commit: $(git rev-parse HEAD)"; echo "start: $(date -Is)"; uptime; grep -m1 'model name' /proc/cpuinfo; } > "$out/env.txt"
echo "== session start build (/tmp/fixar-base, 51cd924) vs this build, interleaved" | tee "$out/base_vs_head.txt"
for r in 1 2; do
  for b in /tmp/fixar-base build/release/fixar; do
    echo "-- round $r: $b" | tee -a "$out/base_vs_head.txt"
    $b bench ddpg --precisions fixar w16a16 --batches 64 256 512 --updates 200 --threads 2 2>&1 | tee -a "$out/base_vs_head.txt"
  done
done
echo "== one thread vs two" | tee "$out/threads.txt"
build/release/fixar bench ddpg --precisions float32 fixar --batches 64 512 --updates 200 --threads 1 2>&1 | tee -a "$out/threads.txt"
echo "== bench/ddpg_vs_baselines.sh" ; date
bench/ddpg_vs_baselines.sh "$out/side_by_side" 2>&1 | tee "$out/side_by_side.txt"
echo "== fixar bench train" ; date; uptime
build/release/fixar bench train --precisions float32,fixar,w16a16 --steps 3000 --threads 2 --json "$out/bench_train.json" 2>&1 | tee "$out/bench_train.txt"
echo "== actor inference" ; date; uptime
for r in 1 2; do FIXAR_THREADS=1 build/release/bench/nn/bench_nn --benchmark_filter=actor_inference --benchmark_min_time=0.3 2>&1 | tee -a "$out/actor_inference.txt"; done
echo "== profiles" ; date; uptime
for b in 64 512; do
  perf record -o "$out/perf_fixar_b$b.data" build/release/fixar bench ddpg --precisions fixar --batches $b --updates 400 --threads 2 > "$out/perf_fixar_b$b.bench.txt" 2>&1
  perf report -i "$out/perf_fixar_b$b.data" --no-children --sort symbol 2>/dev/null | grep -v '^#' | grep '%' | head -30 | cut -c1-150 > "$out/perf_fixar_b$b.txt"
  rm -f "$out/perf_fixar_b$b.data"
done
{ echo "end: $(date -Is)"; uptime; } >> "$out/env.txt"
