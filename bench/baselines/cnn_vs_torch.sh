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
# Prints one table: median images/s over the repeats and ours / PyTorch, for training
# (forward + backward + Adam) and evaluation (inference).
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
def med(impl, model, setting, key):
    v = [r[key] for r in rows if r["impl"] == impl and r["model"] == model and r["setting"] == setting]
    return statistics.median(v) if v else None
models = sorted({r["model"] for r in rows})
threads = sorted({int(r["threads"]) for r in rows})
loads = [x for r in rows for x in r.get("loadavg", [])[:1]]
print(f"median images/s over repeats; PyTorch at >1 thread: the better of default and OMP_WAIT_POLICY=PASSIVE "
      f"(setting shown); 1-min load during the runs {min(loads):.1f}-{max(loads):.1f}\n")
print("| model | threads | train ours | train PyTorch | train ours/PyTorch | eval ours | eval PyTorch | eval ours/PyTorch |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for m in models:
    for t in threads:
        ours_tr, ours_ev = med("fixar", m, str(t), "train_images_per_s"), med("fixar", m, str(t), "eval_images_per_s")
        cands = [s for s in (str(t), f"{t}p") if med("pytorch", m, s, "train_images_per_s")]
        if ours_tr is None or not cands:
            continue
        s_tr = max(cands, key=lambda s: med("pytorch", m, s, "train_images_per_s"))
        s_ev = max(cands, key=lambda s: med("pytorch", m, s, "eval_images_per_s"))
        th_tr, th_ev = med("pytorch", m, s_tr, "train_images_per_s"), med("pytorch", m, s_ev, "eval_images_per_s")
        print(f"| {m} | {t} | {ours_tr:,.0f} | {th_tr:,.0f} ({s_tr}) | **{ours_tr / th_tr:.2f}** | {ours_ev:,.0f} | "
              f"{th_ev:,.0f} ({s_ev}) | **{ours_ev / th_ev:.2f}** |")
PY
echo "raw results: $results"
