#!/usr/bin/env python3
"""Run an actor exported by `fixar export --onnx` in onnxruntime and compare its actions
with fixar's own (a developer tool, not the product).

Usage (from the repository root, after a build):
    build/release/fixar export RUN_DIR --onnx actor.onnx --check-data check.csv
    python3 tools/validate_onnx_export.py actor.onnx check.csv [--tolerance T]

Creates <repo>/.venv-onnx (git-ignored, tools/pyvenv.py) on first use, installs onnxruntime and
numpy from PyPI into it and re-runs itself there; neither becomes a dependency of fixar. The check
data holds observations (float32-exact, within and beyond the task's observation range)
and the actions fixar computed for them (Mlp::Forward, batch 1). The model runs on all of
them in one batch; the report gives the largest and mean absolute difference and how many
actions are bit-identical. Exit code 1 when the largest difference exceeds the tolerance:
by default 0 for models the export marked exact (metadata fixar.exact = true: fixed point
past the checks of docs/export.md), 1e-5 otherwise: float32 graphs, where onnxruntime and
fixar each round float32 sums their own way (measured 2.3e-6 on Pendulum, docs/export.md).
"""
import argparse
import sys

from pyvenv import ensure_venv


def load_check_data(path):
    """The CSV of `fixar export --check-data`: (observations, actions) as float64 arrays."""
    import numpy as np

    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    obs_cols = [i for i, name in enumerate(header) if name.startswith("obs")]
    act_cols = [i for i, name in enumerate(header) if name.startswith("act")]
    if not obs_cols or not act_cols or len(obs_cols) + len(act_cols) != len(header):
        sys.exit(f"{path}: header {header} is not obs0..obsN, act0..actM (fixar export --check-data)")
    return data[:, obs_cols], data[:, act_cols]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="ONNX model written by fixar export --onnx")
    parser.add_argument("check_data", help="CSV written by fixar export --check-data")
    parser.add_argument("--tolerance", type=float, default=None,
                        help="largest accepted |onnx - fixar| (default: 0 for exact models, 1e-5 otherwise)")
    args = parser.parse_args()
    ensure_venv("onnx", ["onnxruntime", "numpy"])
    import numpy as np
    import onnxruntime as ort

    obs, want = load_check_data(args.check_data)
    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    exact = meta.get("fixar.exact") == "true"
    tolerance = args.tolerance if args.tolerance is not None else (0.0 if exact else 1e-5)
    if not np.array_equal(obs.astype(np.float32).astype(np.float64), obs):
        print("warning: observations are not float32-exact; the model reads them rounded to float32")
    (got,) = session.run(["action"], {"obs": obs.astype(np.float32)})
    diff = np.abs(got.astype(np.float64) - want)
    print(f"model             {args.model} (onnxruntime {ort.__version__}, numpy {np.__version__})")
    print(f"network           {meta.get('fixar.precision', '?')}")
    print(f"                  quantized: {meta.get('fixar.quantized', '?')}, exact: {meta.get('fixar.exact', '?')}")
    print(f"check data        {args.check_data}: {obs.shape[0]} observations x {obs.shape[1]}, "
          f"{want.shape[1]} action(s)")
    print(f"max |onnx-fixar|  {diff.max():.3e}")
    print(f"mean |onnx-fixar| {diff.mean():.3e}")
    print(f"bit-identical     {int((diff == 0).sum())} of {diff.size} actions")
    ok = diff.max() <= tolerance
    print(f"tolerance         {tolerance:g}: {'met' if ok else 'EXCEEDED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
