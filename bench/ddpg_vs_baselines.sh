#!/usr/bin/env bash
# FIXAR's DDPG throughput side by side with what a user would run instead, in one run:
#   ours:   build/release/fixar bench ddpg (system and learner IPS per precision and batch)
#   theirs: PyTorch DDPG, same networks and update (learner IPS) in float32 and with FIXAR's
#           fixed-point formats emulated by fake quantization (PyTorch ops: "FQ"; qtorch:
#           "qtorch"), and Stable-Baselines3 DDPG on Gymnasium HalfCheetah-v5 (system IPS)
#           — bench/baselines/, in .venv-bench
# then prints ours / theirs per batch. Usage: bench/ddpg_vs_baselines.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/fixar-vs-baselines}
mkdir -p "$out"
build=${FIXAR_BUILD_DIR:-build/release}
scripts/setup
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target fixar
"$build/fixar" bench ddpg --json "$out/fixar.json" | tee "$out/fixar.txt"
bench/baselines/run_all.sh "$out" >/dev/null
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
ours = json.load(open(f"{out}/fixar.json"))["rows"]
torch = json.load(open(f"{out}/ddpg_torch.json"))["best_per_batch"]
fq = json.load(open(f"{out}/ddpg_torch_fq.json"))["best_per_batch"]
qt = json.load(open(f"{out}/ddpg_torch_qtorch.json"))["best_per_batch"]
sb3 = json.load(open(f"{out}/sb3_ddpg.json"))["best_per_batch"]
nan = float("nan")
print("\nours / theirs (same machine, same run; theirs = best thread setting per batch)")
print(f"{'precision':<9} {'phase':<13} {'batch':>5} {'learner IPS':>11} {'PyTorch':>9} {'ratio':>6} "
      f"{'FQ':>7} {'ratio':>6} {'qtorch':>7} {'ratio':>6} {'system IPS':>10} {'SB3':>9} {'ratio':>6}")
for r in ours:
    b = str(r["batch"])
    t, f, q, s = (d.get(b, {}).get("ips") for d in (torch, fq, qt, sb3))
    ratio = lambda x, y: x / y if y else nan
    print(f"{r['precision']:<9} {r['phase']:<13} {r['batch']:>5} {r['learner_ips']:>11.0f} {t or nan:>9.0f} "
          f"{ratio(r['learner_ips'], t):>5.2f}x {f or nan:>7.0f} {ratio(r['learner_ips'], f):>5.2f}x "
          f"{q or nan:>7.0f} {ratio(r['learner_ips'], q):>5.1f}x {r['system_ips']:>10.0f} {s or nan:>9.0f} "
          f"{ratio(r['system_ips'], s):>5.2f}x")
PY
