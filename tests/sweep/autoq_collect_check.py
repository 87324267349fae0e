#!/usr/bin/env python3
"""Checks scripts/autoq-campaign-collect on a finished sweep of kind "autoq" (the one
sweep_autoq_end_to_end leaves behind):

    autoq_collect_check.py COLLECT_SCRIPT SWEEP_DIR WORK_DIR

- every search of every finished run has its row in summary.csv, and the row's cost and
  validation accuracy are those of the search's answer in the run's summary.json;
- measured_to_best counts distinct measurements: the search's measured_to_best-th distinct
  measurement in evaluations.csv is its answer, in budget, and no earlier one is;
- seconds_to_best is no later than the search's end (PPO, DDPG: its wall clock);
- table.md has one line per (metric, budget, agent), and each run's tarball holds the files;
- a second collection writes the same bytes (the results committed are reproducible).
Exits 1 with the first mismatch named.
"""
import csv
import filecmp
import json
import os
import subprocess
import sys
import tarfile


def fail(msg: str) -> None:
    print(f"autoq_collect_check: {msg}", file=sys.stderr)
    sys.exit(1)


def collect(script: str, sweep: str, out: str) -> None:
    r = subprocess.run([sys.executable, script, "--sweep", sweep, "--out", out], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{script} exited {r.returncode}: {r.stderr.strip()}")


def main() -> None:
    script, sweep, work = sys.argv[1:4]
    out1, out2 = os.path.join(work, "collect1"), os.path.join(work, "collect2")
    collect(script, sweep, out1)
    collect(script, sweep, out2)

    rows = list(csv.DictReader(open(os.path.join(out1, "summary.csv"))))
    by_key = {(r["agent"], r["seed"], r["metric"], r["budget"]): r for r in rows}
    searches = 0
    runs = sorted(n for n in os.listdir(os.path.join(sweep, "runs"))
                  if os.path.exists(os.path.join(sweep, "runs", n, "summary.json")))
    if not runs:
        fail(f"no finished run in {sweep}/runs")
    for name in runs:
        run = os.path.join(sweep, "runs", name)
        s = json.load(open(os.path.join(run, "summary.json")))
        with tarfile.open(os.path.join(out1, "runs", name + ".tar.gz")) as tar:
            held = set(tar.getnames())
        for f in ("summary.json", "evaluations.csv", "report.md"):
            if f not in held:
                fail(f"runs/{name}.tar.gz lacks {f} (holds {sorted(held)})")
        evaluations = list(csv.DictReader(open(os.path.join(run, "evaluations.csv"))))
        for srch in s["searches"]:
            searches += 1
            key = (srch["agent"], str(srch["seed"]), s["metric"], str(s["budget"]))
            row = by_key.get(key)
            if row is None:
                fail(f"{name}: no summary.csv row for {key}")
            best = srch["best"]
            if abs(float(row["cost"]) - best["cost_ratio"]) > 1e-12 or abs(float(row["val_acc"]) - best["accuracy"]) > 1e-12:
                fail(f"{name} {key}: row cost/val_acc {row['cost']}/{row['val_acc']}, summary.json "
                     f"{best['cost_ratio']}/{best['accuracy']}")
            answer = ("-".join(map(str, best["weight_bits"])), "-".join(map(str, best["activation_bits"])))
            distinct = [e for e in evaluations if e["agent"] == srch["agent"] and e["seed"] == str(srch["seed"])
                        and e["measured"] == "1" and e["cache_hit"] == "0"]
            if int(row["measured"]) != len(distinct):
                fail(f"{name} {key}: measured {row['measured']}, evaluations.csv has {len(distinct)} distinct")
            k = int(row["measured_to_best"])
            if not 1 <= k <= len(distinct):
                fail(f"{name} {key}: measured_to_best {k} outside 1..{len(distinct)}")
            hit = distinct[k - 1]
            if (hit["weight_bits"], hit["activation_bits"]) != answer or hit["in_budget"] != "1":
                fail(f"{name} {key}: distinct measurement {k} is {hit['weight_bits']}/{hit['activation_bits']}, "
                     f"the answer is {answer[0]}/{answer[1]}")
            if any((e["weight_bits"], e["activation_bits"]) == answer for e in distinct[:k - 1]):
                fail(f"{name} {key}: the answer was measured before measurement {k}")
            if srch["agent"] != "random" and float(row["seconds_to_best"]) > srch["search_seconds"] + 0.05:
                fail(f"{name} {key}: seconds_to_best {row['seconds_to_best']} after the search's end "
                     f"{srch['search_seconds']}")
    if searches != len(rows):
        fail(f"summary.csv has {len(rows)} rows for {searches} searches")

    table = open(os.path.join(out1, "table.md")).read().splitlines()
    for metric, budget, agent in {(r["metric"], r["budget"], r["agent"]) for r in rows}:
        if not any(line.startswith(f"| {metric} | {budget} | {agent} |") for line in table):
            fail(f"table.md has no line for {metric} {budget} {agent}")

    cmp = filecmp.dircmp(out1, out2)
    pending = [cmp]
    while pending:
        d = pending.pop()
        diff = d.diff_files + d.left_only + d.right_only
        if diff:
            fail(f"a second collection differs in {d.left}: {diff}")
        # dircmp compares by stat signature; compare bytes
        for f in d.same_files:
            if not filecmp.cmp(os.path.join(d.left, f), os.path.join(d.right, f), shallow=False):
                fail(f"a second collection wrote other bytes to {f}")
        pending.extend(d.subdirs.values())
    print(f"autoq_collect_check: {searches} searches from {len(runs)} runs checked")


if __name__ == "__main__":
    main()
