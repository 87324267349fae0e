#!/usr/bin/env bash
# Create (idempotently) the benchmark virtualenv for the Python baselines.
#
#   bench/baselines/setup_venv.sh            # venv at <repo>/.venv-bench
#   VENV=/some/where bench/baselines/setup_venv.sh
#
# Installs the CPU build of PyTorch (from the PyTorch CPU wheel index when that
# host is reachable, otherwise the default PyPI wheel, which on Linux x86_64 is
# a CUDA build and pulls several GB of nvidia-*/cuda-toolkit wheels), then
# stable-baselines3 and gymnasium[mujoco]. These packages are benchmark-only:
# they never become dependencies of the C++ product.
#
# Environment overrides:
#   VENV               venv path (default: <repo>/.venv-bench)
#   PYTHON             interpreter used to create the venv (default: python3)
#   TORCH_CPU_INDEX    CPU wheel index (default: https://download.pytorch.org/whl/cpu)
#   TORCH_SPEC         torch requirement (default: torch)
#   FORCE_REINSTALL=1  reinstall even if the imports already work
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
VENV="${VENV:-$repo/.venv-bench}"
PYTHON="${PYTHON:-python3}"
TORCH_CPU_INDEX="${TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}"
TORCH_SPEC="${TORCH_SPEC:-torch}"

die() { echo "setup_venv.sh: ERROR: $*" >&2; exit 1; }

mkdir -p "$(dirname "$VENV")"
VENV="$(cd "$(dirname "$VENV")" && pwd)/$(basename "$VENV")"
cd "${TMPDIR:-/tmp}"  # MuJoCo writes warnings to ./MUJOCO_LOG.TXT; keep it out of the repo

command -v "$PYTHON" >/dev/null || die "interpreter '$PYTHON' not found"
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 9)' \
  || die "$PYTHON is older than 3.9"

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "== creating venv $VENV"
  "$PYTHON" -m venv "$VENV" || die "python -m venv failed (is the venv module installed?)"
else
  echo "== venv exists: $VENV"
fi
py="$VENV/bin/python"
pip=("$py" -m pip --disable-pip-version-check)

have_all() {
  "$py" - <<'PY' 2>/dev/null
import torch, stable_baselines3, gymnasium, mujoco
import gymnasium as gym
gym.make("HalfCheetah-v5").close()
PY
}

if [[ "${FORCE_REINSTALL:-0}" != 1 ]] && have_all; then
  echo "== all packages already importable; skipping install (FORCE_REINSTALL=1 to redo)"
else
  "${pip[@]}" install --upgrade pip setuptools wheel >/dev/null \
    || die "could not upgrade pip in $VENV (is PyPI reachable?)"

  if "$py" -c 'import torch' 2>/dev/null && [[ "${FORCE_REINSTALL:-0}" != 1 ]]; then
    echo "== torch already installed"
  else
    # Probe the CPU index; short timeout so an unreachable host fails fast.
    if "$py" - "$TORCH_CPU_INDEX" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1].rstrip("/") + "/torch/", timeout=10)
except Exception as e:
    print(f"   CPU wheel index unreachable: {e}")
    sys.exit(1)
PY
    then
      echo "== installing $TORCH_SPEC from the CPU wheel index $TORCH_CPU_INDEX"
      "${pip[@]}" install --index-url "$TORCH_CPU_INDEX" "$TORCH_SPEC" \
        || die "torch install from $TORCH_CPU_INDEX failed"
    else
      echo "== WARNING: falling back to the default PyPI torch wheel."
      echo "   On Linux x86_64 that is a CUDA build: it pulls cuda-toolkit/nvidia-*"
      echo "   wheels (several GB). It runs fine on CPU; only the download is large."
      "${pip[@]}" install "$TORCH_SPEC" || die "torch install from PyPI failed"
    fi
  fi

  echo "== installing stable-baselines3 and gymnasium[mujoco]"
  "${pip[@]}" install stable-baselines3 "gymnasium[mujoco]" \
    || die "stable-baselines3 / gymnasium[mujoco] install failed"
fi

echo "== versions"
"$py" - <<'PY' || die "import check failed"
import platform, sys
import numpy, torch, stable_baselines3, gymnasium, mujoco
print(f"python            {platform.python_version()} ({sys.executable})")
print(f"numpy             {numpy.__version__}")
print(f"torch             {torch.__version__}  (cuda build: {torch.version.cuda}, "
      f"threads {torch.get_num_threads()}, mkldnn {torch.backends.mkldnn.is_available()})")
print(f"stable-baselines3 {stable_baselines3.__version__}")
print(f"gymnasium         {gymnasium.__version__}")
print(f"mujoco            {mujoco.__version__}")
import gymnasium as gym
env = gym.make("HalfCheetah-v5")
print(f"HalfCheetah-v5    obs {env.observation_space.shape} act {env.action_space.shape}")
env.close()
PY
du -sh "$VENV" 2>/dev/null | awk '{print "venv size         " $1}'
if compgen -G "$VENV/lib/python*/site-packages/nvidia" >/dev/null; then
  du -sh "$VENV"/lib/python*/site-packages/nvidia | awk '{print "  of which nvidia/ (CUDA libs, unused on CPU): " $1}'
fi
echo "== ok: $VENV"
