#!/usr/bin/env python3
"""Load a run's TensorBoard event files with the real `tensorboard` package and check their
scalars against the run's progress.csv (a developer tool, not the product).

Usage (from the repository root, after a training run):
    python3 tools/validate_tensorboard.py RUN_DIR

Creates <repo>/.venv-tensorboard (git-ignored, tools/pyvenv.py) on first use, installs
tensorboard from PyPI into it and re-runs itself there. TensorBoard's own EventAccumulator
reads every event file of the run (a resumed run has several; its SessionLog START drops
the steps the resume wrote again). Checks, each printed with its count:
  - the tags fixar documents (docs/training.md) are present;
  - every progress.csv value with a TensorBoard counterpart (evaluations, critic loss,
    IPS, per-layer saturation and ranges) equals it to float32 precision (the CSV holds 6
    significant digits);
  - each tag's steps are strictly increasing (no duplicate left by a resume).
Exit code 1 when a check fails.
"""
import argparse
import csv
import math
import os
import sys

from pyvenv import ensure_venv

# progress.csv column -> TensorBoard tag (per-layer columns are mapped in layer_tag).
COLUMNS = {
    "eval_mean": "eval/mean_return",
    "eval_std": "eval/std_return",
    "ips": "charts/IPS",
    "env_ms": "time/env_ms",
    "update_ms": "time/update_ms",
    "act_ms": "time/act_ms",
    "quantized": "qat/quantized",
}
REQUIRED = ["charts/episodic_return", "charts/episodic_length", "charts/SPS", "losses/qf_loss",
            "losses/actor_loss", "qat/quantized"]


def layer_tag(column):
    """'critic.fc1.sat_rate' -> 'layers/critic.fc1/saturation_rate' (None for other columns)."""
    for suffix, name in ((".sat_rate", "saturation_rate"), (".range_min", "range_min"), (".range_max", "range_max")):
        if column.endswith(suffix):
            return f"layers/{column[:-len(suffix)]}/{name}"
    return None


def close(a, b):
    # 6 significant digits in the CSV: up to 5e-6 relative; float32 adds 6e-8.
    return math.isclose(a, b, rel_tol=6e-6, abs_tol=1e-30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", help="a run directory written by fixar train")
    args = parser.parse_args()
    if not os.path.isfile(os.path.join(args.run_dir, "progress.csv")):
        sys.exit(f"{args.run_dir}: no progress.csv (not a run directory of fixar train)")
    ensure_venv("tensorboard", ["tensorboard"])
    import tensorboard
    from tensorboard.backend.event_processing import event_accumulator

    files = sorted(f for f in os.listdir(args.run_dir) if f.startswith("events.out.tfevents."))
    acc = event_accumulator.EventAccumulator(args.run_dir, size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    tags = acc.Tags()["scalars"]
    series = {tag: {e.step: e.value for e in acc.Scalars(tag)} for tag in tags}
    print(f"run               {args.run_dir}: {len(files)} event file(s), {len(tags)} scalar tags "
          f"(tensorboard {tensorboard.__version__})")
    failures = 0

    missing = [t for t in REQUIRED if t not in series]
    print(f"required tags     {len(REQUIRED) - len(missing)} of {len(REQUIRED)} present"
          + (f"; missing {missing}" if missing else ""))
    failures += len(missing)

    compared, mismatched, absent = 0, [], 0
    with open(os.path.join(args.run_dir, "progress.csv")) as f:
        for row in csv.DictReader(f):
            step = int(row["step"])
            for column, text in row.items():
                tag = COLUMNS.get(column) or layer_tag(column)
                if tag is None or text in ("", None):
                    continue
                value = float(text)
                if tag not in series or step not in series[tag]:
                    absent += 1
                    continue
                compared += 1
                if not close(value, series[tag][step]):
                    mismatched.append((tag, step, value, series[tag][step]))
    print(f"progress.csv      {compared} values compared, {len(mismatched)} differ, "
          f"{absent} without a TensorBoard value")
    for tag, step, want, got in mismatched[:10]:
        print(f"  {tag} at step {step}: csv {want!r}, tensorboard {got!r}")
    failures += len(mismatched) + (compared == 0)

    # EventAccumulator keeps events in file order; after a purge each tag's steps ascend.
    unordered = [t for t in tags if any(a.step >= b.step for a, b in zip(acc.Scalars(t), acc.Scalars(t)[1:]))]
    print(f"steps             {'strictly increasing in every tag' if not unordered else f'NOT increasing in {unordered}'}")
    failures += len(unordered)
    print("result            " + ("ok" if failures == 0 else f"{failures} failure(s)"))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
