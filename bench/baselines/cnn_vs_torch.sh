#!/usr/bin/env bash
# FIXAR's float32 CNN training / evaluation speed against PyTorch's, side by side.
#
#   bench/baselines/cnn_vs_torch.sh [OUT_DIR]            (default /tmp/fixar-cnn-vs-torch)
#
# For each model (MODELS, default lenet5 and vgg_small), thread count (THREADS, default
# "1 2") and repeat (REPEATS, default 3), runs ours (bench_cnn_speed) and PyTorch
# (cnn_torch.py: the same layer shapes from the same TOML, same batch, Adam, the same
# images) one right after the other, so both see the same machine load; PyTorch runs
# twice per repeat at 2 threads: with OpenMP's default wait policy and with
# OMP_WAIT_POLICY=PASSIVE (its workers spin at barriers by default, which on a loaded
# machine can cost it several times; the better of the two is what we compare with).
# Prints one table, for training (forward + backward + Adam) and evaluation (inference):
# median images/s over the repeats, the median of the per-repeat ratios ours / PyTorch
# (each pair ran back to back), and at 1 thread the ratio of images per CPU second,
# which other jobs' time slicing does not distort.
#
# Environment: BIN (default build/release/bench/cnn/bench_cnn_speed), VENV (default
# .venv-bench), IMAGES (timed training images per run, default 6400), QUANT (W,A: time
# our fake-quantized fine-tune path instead of float training; PyTorch stays float).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-/tmp/fixar-cnn-vs-torch}"
BIN="${BIN:-$repo/build/release/bench/cnn/bench_cnn_speed}"
VENV="${VENV:-$repo/.venv-bench}"
MODELS="${MODELS:-lenet5 vgg_small}"
THREADS="${THREADS:-1 2}"
REPEATS="${REPEATS:-3}"
IMAGES="${IMAGES:-6400}"
QUANT="${QUANT:-}"
py="$VENV/bin/python"

[[ -x "$BIN" ]] || { echo "cnn_vs_torch.sh: $BIN not built (cmake --build <dir> --target bench_cnn_speed)" >&2; exit 1; }
"$py" -c "import torch" 2>/dev/null || { echo "cnn_vs_torch.sh: no torch in $VENV (run bench/baselines/setup_venv.sh)" >&2; exit 1; }
mkdir -p "$out"
results="$out/results.jsonl"
: > "$results"
cd "$repo"

{
  echo "date: $(date -Is)"
  echo "cpu: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "ours: $BIN${QUANT:+ (fake-quantized fine-tune path, $QUANT)}; torch: $("$py" -c 'import torch; print(torch.__version__)')"
} | tee "$out/env.txt"

quant_args=()
[[ -n "$QUANT" ]] && quant_args=(--quant "$QUANT")
for rep in $(seq 1 "$REPEATS"); do
  for model in $MODELS; do
    toml="configs/models/$model.toml"
    for t in $THREADS; do
      echo "repeat $rep: $model, $t thread(s), load $(cut -d' ' -f1 /proc/loadavg)" >&2
      "$BIN" --model "$toml" --threads "$t" --images "$IMAGES" --json "${quant_args[@]}" | sed "s/^{/{\"setting\": \"$t\", /" >> "$results"
      OMP_NUM_THREADS="$t" "$py" "$here/cnn_torch.py" --model "$toml" --threads "$t" --images "$IMAGES" \
        | sed "s/^{/{\"setting\": \"$t\", /" >> "$results"
      if [[ "$t" != 1 ]]; then
        OMP_NUM_THREADS="$t" OMP_WAIT_POLICY=PASSIVE "$py" "$here/cnn_torch.py" --model "$toml" --threads "$t" \
          --images "$IMAGES" | sed "s/^{/{\"setting\": \"${t}p\", /" >> "$results"
      fi
    done
  done
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/env.txt"

"$py" - "$results" <<'PY' | tee "$out/table.md"
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
# Runs of one (model, thread count) in file order: repeat r is the r-th of each kind.
def runs(impl, model, setting):
    return [r for r in rows if r["impl"] == impl and r["model"] == model and r["setting"] == setting]
def med(v):
    return statistics.median(v) if v else float("nan")
models = sorted({r["model"] for r in rows})
threads = sorted({int(r["threads"]) for r in rows})
loads = [r["loadavg"][0] for r in rows if r.get("loadavg")]
print("images/s: median over repeats. ours/PyTorch: median over repeats of the ratio within a repeat (the two ran "
      "one after the other). PyTorch at 2 threads: per repeat the better of OpenMP's default and "
      "OMP_WAIT_POLICY=PASSIVE. CPU ratio (1 thread): images per process-CPU-second, ours / PyTorch, which "
      f"time slicing by other jobs does not distort. 1-min load during the runs {min(loads):.1f}-{max(loads):.1f}\n")
print("| model | threads | train ours | train PyTorch | **train ours/PyTorch** | train, CPU time | eval ours | "
      "eval PyTorch | **eval ours/PyTorch** | eval, CPU time |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for m in models:
    for t in threads:
        ours = runs("fixar", m, str(t))
        theirs = [runs("pytorch", m, s) for s in ((str(t),) if t == 1 else (str(t), f"{t}p"))]
        theirs = [x for x in theirs if x]
        if not ours or not theirs:
            continue
        n = min(len(ours), *(len(x) for x in theirs))
        cols = []
        for key, cpu in (("train", "train_cpu_s"), ("eval", "eval_cpu_s")):
            rate = f"{key}_images_per_s"
            best = [max((x[i] for x in theirs), key=lambda r: r[rate]) for i in range(n)]
            ratio = med([ours[i][rate] / best[i][rate] for i in range(n)])
            imgs = f"{key}_images"
            cpu_ratio = med([(ours[i][imgs] / ours[i][cpu]) / (best[i][imgs] / best[i][cpu]) for i in range(n)]) \
                if t == 1 and all(cpu in r for r in ours[:n] + best) else float("nan")
            cols += [f"{med([r[rate] for r in ours[:n]]):,.0f}", f"{med([r[rate] for r in best]):,.0f}",
                     f"**{ratio:.2f}**", "–" if cpu_ratio != cpu_ratio else f"{cpu_ratio:.2f}"]
        print(f"| {m} | {t} | " + " | ".join(cols) + " |")
print(f"\n{n} repeats per row")
PY
echo "raw results: $results"
