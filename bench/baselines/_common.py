"""Small helpers shared by the baseline scripts (benchmark-only code)."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile


def parse_int_list(text: str) -> list[int]:
    return [int(x) for x in text.replace(" ", "").split(",") if x]


def parse_thread_specs(text: str) -> list[tuple[str, int, bool]]:
    """'1,2,2p' -> [(label, threads, passive)]; a 'p' suffix runs the worker with
    OMP_WAIT_POLICY=PASSIVE (OpenMP threads sleep instead of spinning at barriers,
    which matters a lot when the cores are shared with other work)."""
    specs = []
    for tok in text.replace(" ", "").split(","):
        if not tok:
            continue
        passive = tok.lower().endswith("p")
        n = int(tok[:-1] if passive else tok)
        specs.append((f"{n}p" if passive else str(n), n, passive))
    return specs


def thread_env(threads: int, passive: bool = False) -> dict:
    """Environment for a worker process pinned to `threads` intra-op threads."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(threads)
    env.pop("OMP_WAIT_POLICY", None)  # libgomp default: spin a while, then sleep
    if passive:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def run_worker(script: str, args: list[str], threads: int, passive: bool = False) -> dict:
    """Run `script --_worker ...` in a fresh interpreter and return its JSON line.

    A fresh process per thread setting is needed because
    torch.set_num_interop_threads may only be called once per process, and it
    keeps OpenMP pools of different runs from interfering.
    """
    cmd = [sys.executable, script, "--_worker", *args]
    # Run from the temp dir: MuJoCo writes warnings to ./MUJOCO_LOG.TXT.
    proc = subprocess.run(cmd, env=thread_env(threads, passive), capture_output=True, text=True,
                          cwd=tempfile.gettempdir())
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise RuntimeError(f"worker failed ({proc.returncode}): {' '.join(cmd)}")
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"worker printed no JSON: {proc.stdout!r} {proc.stderr!r}")


def machine_info() -> dict:
    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_cuda_build"] = torch.version.cuda
        cfg = torch.__config__.show()
        info["torch_cpu_capability"] = next(
            (l.split(":", 1)[1].strip() for l in cfg.splitlines() if "CPU capability" in l), None)
    except Exception:  # noqa: BLE001 - informational only
        pass
    return info


def write_json(path: str | None, payload: dict) -> None:
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(payload, f, indent=2)
    print(f"wrote {path}")


def uptime_line() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(map(str, loadavg()))
