#!/usr/bin/env python3
"""System throughput of Stable-Baselines3 DDPG on Gymnasium HalfCheetah-v5 (CPU).

What a user would run instead of FIXAR: SB3 DDPG, same hyperparameters as ours
(net_arch 400-300 for actor and critic, action fed at the critic input, Adam lr
1e-4, tau 0.005, gamma 0.99, batch B, train_freq 1, gradient_steps 1, Gaussian
action noise sigma 0.1, device cpu). After `learning_starts` random steps plus a
short warm-up of training steps, a fixed number of environment steps is timed;
every one of them is env step + replay sample + one critic/actor/target update +
one action inference, i.e. one FIXAR timestep. The paper's metric:

  system IPS = B * (env steps/s)

Each thread setting runs in its own process (torch.set_num_threads N,
torch.set_num_interop_threads 1, OMP/MKL_NUM_THREADS=N); the best is reported.

  .venv-bench/bin/python bench/baselines/sb3_ddpg.py
  .venv-bench/bin/python bench/baselines/sb3_ddpg.py --batches 64,512 --steps 2000 \
      --threads 1,2 --json /tmp/fixar-baselines/sb3_ddpg.json
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402


def worker(args: argparse.Namespace) -> dict:
    import gymnasium as gym
    import numpy as np
    import torch
    import stable_baselines3
    from stable_baselines3 import DDPG
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.noise import NormalActionNoise

    torch.set_num_threads(int(args.threads))
    try:
        torch.set_num_interop_threads(args.interop)
    except RuntimeError:
        pass

    env = gym.make(args.env)
    n_act = env.action_space.shape[0]

    # Environment alone (random actions), for the time breakdown.
    env.reset(seed=args.seed)
    rng = np.random.default_rng(args.seed)
    n_env = 2000
    t0 = time.perf_counter()
    for _ in range(n_env):
        _, _, term, trunc, _ = env.step(rng.uniform(-1, 1, n_act).astype(np.float32))
        if term or trunc:
            env.reset()
    t_env = (time.perf_counter() - t0) / n_env

    start = args.learning_starts + args.warmup  # first timed step (num_timesteps)
    end = start + args.steps
    chunk = max(1, args.steps // args.chunks)

    class Timer(BaseCallback):
        def __init__(self):
            super().__init__()
            self.marks: list[tuple[int, float]] = []
            self.load_before: list[float] = []

        def _on_step(self) -> bool:
            n = self.num_timesteps
            now = time.perf_counter()
            capped = bool(self.marks) and now - self.marks[0][1] > args.max_seconds and \
                n - start >= 50
            if n >= start and (n - start) % chunk == 0 or n == end or capped:
                if n == start:
                    self.load_before = _common.loadavg()
                self.marks.append((n, now, time.process_time()))
            return n < end and not capped

    model = DDPG(
        "MlpPolicy", env,
        learning_rate=1e-4, buffer_size=args.buffer, learning_starts=args.learning_starts,
        batch_size=args.batch, tau=0.005, gamma=0.99, train_freq=1, gradient_steps=1,
        action_noise=NormalActionNoise(np.zeros(n_act), 0.1 * np.ones(n_act)),
        policy_kwargs=dict(net_arch=dict(pi=[400, 300], qf=[400, 300])),
        device="cpu", seed=args.seed, verbose=0,
    )
    timer = Timer()
    model.learn(total_timesteps=end + 10, callback=timer, progress_bar=False)
    load_after = _common.loadavg()
    marks = timer.marks
    assert marks and marks[0][0] == start, marks[:2]
    timed = marks[-1][0] - start  # < args.steps when the time cap stopped it
    total_s = marks[-1][1] - marks[0][1]
    cpu_s = marks[-1][2] - marks[0][2]
    chunk_rates = [(n1 - n0) / (t1 - t0) for (n0, t0, _), (n1, t1, _) in zip(marks, marks[1:])]
    steps_per_s = timed / total_s
    env.close()
    return {
        "batch": args.batch, "threads": int(args.threads), "interop_threads": args.interop,
        "env": args.env, "timed_steps": timed, "learning_starts": args.learning_starts,
        "warmup": args.warmup, "buffer": args.buffer,
        "s_total": total_s, "steps_per_s": steps_per_s, "ips": args.batch * steps_per_s,
        "ms_per_step": 1e3 / steps_per_s,
        # process CPU time (all threads) per env step; with 1 thread B/cpu_s is a
        # contention-robust estimate of the IPS an idle core would give
        "cpu_ms_per_step": 1e3 * cpu_s / timed,
        "ips_cpu_time": args.batch * timed / cpu_s,
        "chunk_steps_per_s": chunk_rates,
        "ips_best_chunk": args.batch * max(chunk_rates),
        "ms_env_step_only": t_env * 1e3,
        "loadavg_before": timer.load_before, "loadavg_after": load_after,
        "torch": torch.__version__, "sb3": stable_baselines3.__version__,
        "gymnasium": gym.__version__, "torch_num_threads": torch.get_num_threads(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batches", default="64,128,256,512", help="comma list (default %(default)s)")
    ap.add_argument("--threads", default="1,2,2p",
                    help="comma list of torch intra-op thread counts; suffix p = same with "
                         "OMP_WAIT_POLICY=PASSIVE (default %(default)s)")
    ap.add_argument("--interop", type=int, default=1, help="torch.set_num_interop_threads")
    ap.add_argument("--steps", type=int, default=600,
                    help="timed env steps after learning starts (default %(default)s)")
    ap.add_argument("--max-seconds", type=float, default=12.0,
                    help="cap on the timed window per (batch, threads) config; timing stops "
                         "early (>= 50 steps) when over it (default %(default)s)")
    ap.add_argument("--learning-starts", type=int, default=600,
                    help="random-action steps before training (>= largest batch)")
    ap.add_argument("--warmup", type=int, default=50, help="untimed training steps before timing")
    ap.add_argument("--chunks", type=int, default=4, help="timed window split for the spread")
    ap.add_argument("--buffer", type=int, default=1_000_000, help="replay buffer size")
    ap.add_argument("--env", default="HalfCheetah-v5")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", metavar="OUT", help="write all results as JSON")
    ap.add_argument("--_worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args._worker:
        print(json.dumps(worker(args)))
        return

    batches = _common.parse_int_list(args.batches)
    threads = _common.parse_thread_specs(args.threads)
    if args.learning_starts < max(batches):
        ap.error("--learning-starts must be >= the largest batch")
    print(f"# SB3 DDPG {args.env} system benchmark  ({_common.uptime_line()})")
    print(f"# net_arch pi/qf 400-300, lr 1e-4, tau 0.005, gamma 0.99, train_freq 1, "
          f"gradient_steps 1, buffer {args.buffer}, learning_starts {args.learning_starts}, "
          f"warm-up {args.warmup}, timed {args.steps} env steps")
    hdr = (f"{'B':>4} {'thr':>3} {'steps':>5} {'env steps/s':>11} {'ms/step':>8} {'system IPS':>10} "
           f"{'IPS best chunk':>14} {'env-only ms':>11} {'IPS(cpu)':>9}  load(1m) before/after")
    print(hdr)
    print("-" * len(hdr))
    results = []
    for B in batches:
        for label, T, passive in threads:
            wargs = ["--batch", str(B), "--threads", str(T), "--interop", str(args.interop),
                     "--steps", str(args.steps), "--learning-starts", str(args.learning_starts),
                     "--warmup", str(args.warmup), "--max-seconds", str(args.max_seconds),
                     "--chunks", str(args.chunks),
                     "--buffer", str(args.buffer), "--env", args.env, "--seed", str(args.seed)]
            r = _common.run_worker(os.path.abspath(__file__), wargs, T, passive)
            r["thread_setting"] = label
            r["omp_wait_policy"] = "PASSIVE" if passive else "default"
            results.append(r)
            lb = r["loadavg_before"][0] if r["loadavg_before"] else float("nan")
            la = r["loadavg_after"][0] if r["loadavg_after"] else float("nan")
            print(f"{B:>4} {label:>3} {r['timed_steps']:>5} {r['steps_per_s']:>11.1f} {r['ms_per_step']:>8.2f} "
                  f"{r['ips']:>10.0f} {r['ips_best_chunk']:>14.0f} {r['ms_env_step_only']:>11.3f}"
                  f" {r['ips_cpu_time']:>9.0f}  {lb:.2f}/{la:.2f}", flush=True)

    best = {}
    for B in batches:
        b = max((r for r in results if r["batch"] == B), key=lambda r: r["ips"])
        best[str(B)] = {"threads": b["thread_setting"], "ips": b["ips"], "steps_per_s": b["steps_per_s"]}
    print("\nbest thread setting per batch:")
    print(f"{'B':>4} {'thr':>3} {'system IPS':>10} {'env steps/s':>11}")
    for B, b in best.items():
        print(f"{B:>4} {b['threads']:>3} {b['ips']:>10.0f} {b['steps_per_s']:>11.1f}")
    mean_best = statistics.mean(b["ips"] for b in best.values())
    print(f"mean of best system IPS over batches: {mean_best:.0f} samples/s")
    print("# units: system IPS = B x env steps/s (samples/s); ms/step = wall ms per env step "
          "incl. one update; env-only ms = gym step with random actions, no learning;\n"
          "#        IPS(cpu) = B x steps / process CPU s (summed over threads; with thr 1 a "
          "load-robust estimate)")
    print(f"# {_common.uptime_line()}")
    _common.write_json(args.json, {
        "benchmark": "sb3_ddpg_system", "machine": _common.machine_info(),
        "args": {k: v for k, v in vars(args).items() if not k.startswith("_") and k != "batch"},
        "results": results, "best_per_batch": best, "mean_best_ips": mean_best,
        "uptime_end": _common.uptime_line(),
    })


if __name__ == "__main__":
    main()
