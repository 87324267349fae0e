#!/usr/bin/env python3
"""Learner-only throughput of a float32 PyTorch DDPG equal to FIXAR's.

Networks and update (as in the FIXAR paper / our C++ DDPG):
  actor   obs -> 400 -> 300 -> act          ReLU hidden, tanh output
  critic  (obs ++ act) -> 400 -> 300 -> 1   ReLU hidden, action at the input
  target networks for both; TD target y = r + gamma*(1-terminated)*Q'(s', mu'(s'))
  critic loss MSE(Q(s,a), y); actor loss -mean Q(s, mu(s))
  Adam lr 1e-4 for both, Polyak tau 0.005, gamma 0.99
HalfCheetah sizes (17 obs, 6 act). No environment: the replay buffer holds random
data, so this measures the learner alone. One timed "timestep" is what the
accelerator does in FIXAR's Fig. 3: sample a batch of B from the buffer, critic
update, actor update, target update, then one single-sample actor inference.

  learner IPS = B / (wall time of one timestep)      updates/s = 1 / that time

Each thread setting runs in its own process (torch.set_num_threads N,
torch.set_num_interop_threads 1, OMP/MKL_NUM_THREADS=N).

--emulate fixar: the peer a fixed-point researcher without this platform would write, the
same update with FIXAR's precision policy after the QAT switch emulated by fake quantization
with qtorch 0.3 (fixed_point_quantize, Quantizer, OptimLP; round to nearest):
  activations  16-bit fixed point at every layer input and after every activation, each
               point's format from the range recorded on a calibration batch (power of two:
               integer bits cover max|a|, as `precision.qat_quantizer = "power_of_two"`)
  gradients    fixed<32,24> at the same points on the way back (qtorch Quantizer) and on
               every parameter gradient before the Adam step (OptimLP grad_quant)
  weights      fixed<32,24> after every Adam step and every soft update
  Adam state   m in fixed<32,24>, v in fixed<32,30> (ours keeps sqrt(v), docs/numerics.md)
Float32 tensors cannot hold a 32-bit fixed-point value exactly (24-bit mantissa), so this is
an emulation of the formats' ranges and grids, not bit-exact arithmetic; it is here for its
speed, the cost of the rounding passes a PyTorch user pays. --fq-backend torch does the same
with PyTorch's own vectorised ops (round, clamp, a straight-through autograd.Function and an
optimizer wrapper) instead of qtorch's kernels: the faster peer a careful user could write.

  .venv-bench/bin/python bench/baselines/ddpg_torch.py
  .venv-bench/bin/python bench/baselines/ddpg_torch.py --batches 64,512 --threads 1,2,2p \
      --updates 300 --json /tmp/fixar-baselines/ddpg_torch.json
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

OBS_DIM, ACT_DIM, H1, H2 = 17, 6, 400, 300


def torch_fake_quant():
    """qtorch's three pieces written with PyTorch's own ops: q(x, wl, fl), a Quantizer module
    (forward and backward formats, straight-through) and an OptimLP-like wrapper."""
    import torch

    def q(x, wl, fl):
        scale = 2.0 ** fl
        lim = 2.0 ** (wl - 1)
        return torch.clamp(torch.round(x * scale), -lim, lim - 1) / scale

    class _Q(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, fwd, bwd):
            ctx.bwd = bwd
            return q(x, *fwd)

        @staticmethod
        def backward(ctx, g):
            return q(g, *ctx.bwd), None, None

    class Quantizer(torch.nn.Module):
        def __init__(self, fwd, bwd):
            super().__init__()
            self.fwd, self.bwd = fwd, bwd

        def forward(self, x):
            return _Q.apply(x, self.fwd, self.bwd)

    class OptimQ:
        def __init__(self, opt, w, g, m, v):
            self.opt, self.w, self.g, self.m, self.v = opt, w, g, m, v

        def zero_grad(self, set_to_none=True):
            self.opt.zero_grad(set_to_none=set_to_none)

        @torch.no_grad()
        def step(self):
            params = [p for grp in self.opt.param_groups for p in grp["params"] if p.grad is not None]
            for p in params:
                p.grad.copy_(q(p.grad, *self.g))
            self.opt.step()
            for p in params:
                p.copy_(q(p, *self.w))
                st = self.opt.state[p]
                st["exp_avg"].copy_(q(st["exp_avg"], *self.m))
                st["exp_avg_sq"].copy_(q(st["exp_avg_sq"], *self.v))

    return q, Quantizer, OptimQ


def fake_quantized(actor, critic_body, batch: int, backend: str):
    """The networks with quantizers at every layer input and activation output, and the
    weight quantizer and optimizer wrapper of --emulate fixar (see the module doc)."""
    import math

    import torch
    from torch import nn

    if backend == "qtorch":
        from qtorch import FixedPoint
        from qtorch.optim import OptimLP
        from qtorch.quant import Quantizer as QtQuantizer, fixed_point_quantize

        def q(x, wl, fl):
            return fixed_point_quantize(x, wl, fl, rounding="nearest")

        def make_quantizer(fwd, bwd):
            return QtQuantizer(forward_number=FixedPoint(wl=fwd[0], fl=fwd[1]),
                               backward_number=FixedPoint(wl=bwd[0], fl=bwd[1]),
                               forward_rounding="nearest", backward_rounding="nearest")

        def wrap(opt):
            return OptimLP(opt, weight_quant=lambda x: q(x, 32, 24), grad_quant=lambda x: q(x, 32, 24),
                           momentum_quant=lambda x: q(x, 32, 24), acc_quant=lambda x: q(x, 32, 30))
    else:
        q, TorchQuantizer, OptimQ = torch_fake_quant()

        def make_quantizer(fwd, bwd):
            return TorchQuantizer(fwd, bwd)

        def wrap(opt):
            return OptimQ(opt, (32, 24), (32, 24), (32, 24), (32, 30))

    def with_quantizers(net: nn.Sequential, calib: torch.Tensor) -> nn.Sequential:
        # Record max|a| at the input and after every ReLU/Tanh on a calibration batch.
        points, x = [calib.abs().max().item()], calib
        with torch.no_grad():
            for layer in net:
                x = layer(x)
                if isinstance(layer, (nn.ReLU, nn.Tanh)) or layer is net[-1]:
                    points.append(x.abs().max().item())

        def quantizer(max_abs: float):
            int_bits = max(1, math.ceil(math.log2(max(max_abs, 1e-12))) + 1)  # sign + magnitude
            return make_quantizer((16, 16 - int_bits), (32, 24))

        layers, k = [quantizer(points[0])], 1
        for layer in net:
            layers.append(layer)
            if isinstance(layer, (nn.ReLU, nn.Tanh)) or layer is net[-1]:
                layers.append(quantizer(points[k]))
                k += 1
        return nn.Sequential(*layers)

    actor_q = with_quantizers(actor, torch.randn(batch, OBS_DIM))
    critic_q = with_quantizers(critic_body, torch.cat([torch.randn(batch, OBS_DIM),
                                                       torch.rand(batch, ACT_DIM) * 2 - 1], dim=1))

    return actor_q, critic_q, (lambda x: q(x, 32, 24)), wrap


def worker(args: argparse.Namespace) -> dict:
    import torch
    from torch import nn

    torch.set_num_threads(int(args.threads))
    try:
        torch.set_num_interop_threads(args.interop)
    except RuntimeError:
        pass
    torch.manual_seed(args.seed)
    B = args.batch

    actor = nn.Sequential(nn.Linear(OBS_DIM, H1), nn.ReLU(), nn.Linear(H1, H2), nn.ReLU(),
                          nn.Linear(H2, ACT_DIM), nn.Tanh())
    critic_body = nn.Sequential(nn.Linear(OBS_DIM + ACT_DIM, H1), nn.ReLU(), nn.Linear(H1, H2),
                                nn.ReLU(), nn.Linear(H2, 1))
    emulate = args.emulate == "fixar"
    if emulate:
        actor, critic_body, quant_w, wrap_opt = fake_quantized(actor, critic_body, B, args.fq_backend)

    def critic(net, s, a):
        return net(torch.cat([s, a], dim=1))

    actor_t, critic_t = copy.deepcopy(actor), copy.deepcopy(critic_body)
    for p in list(actor_t.parameters()) + list(critic_t.parameters()):
        p.requires_grad_(False)

    adam_kw = {"lr": 1e-4}
    if args.adam == "fused":
        adam_kw["fused"] = True
    elif args.adam == "foreach":
        adam_kw["foreach"] = True
    else:
        adam_kw["foreach"] = False
    actor_opt = torch.optim.Adam(actor.parameters(), **adam_kw)
    critic_opt = torch.optim.Adam(critic_body.parameters(), **adam_kw)
    if emulate:
        actor_opt, critic_opt = wrap_opt(actor_opt), wrap_opt(critic_opt)
    gamma, tau = 0.99, 0.005

    # Synthetic replay buffer of random transitions.
    N = args.buffer
    buf_s = torch.randn(N, OBS_DIM)
    buf_a = torch.rand(N, ACT_DIM) * 2 - 1
    buf_r = torch.randn(N, 1)
    buf_s2 = torch.randn(N, OBS_DIM)
    buf_d = (torch.rand(N, 1) < 0.01).float()  # "terminated" flags
    state = torch.randn(1, OBS_DIM)

    online = list(actor.parameters()) + list(critic_body.parameters())
    target = list(actor_t.parameters()) + list(critic_t.parameters())

    def timestep():
        idx = torch.randint(0, N, (B,))
        s, a, r, s2, d = buf_s[idx], buf_a[idx], buf_r[idx], buf_s2[idx], buf_d[idx]
        # critic
        with torch.no_grad():
            y = r + gamma * (1.0 - d) * critic(critic_t, s2, actor_t(s2))
        q = critic(critic_body, s, a)
        critic_loss = torch.nn.functional.mse_loss(q, y)
        critic_opt.zero_grad(set_to_none=True)
        critic_loss.backward()
        critic_opt.step()
        # actor
        actor_loss = -critic(critic_body, s, actor(s)).mean()
        actor_opt.zero_grad(set_to_none=True)
        actor_loss.backward()  # also writes critic grads; cleared before next critic step
        actor_opt.step()
        # targets (Polyak)
        with torch.no_grad():
            torch._foreach_lerp_(target, online, tau)
            if emulate:
                for t in target:
                    t.copy_(quant_w(t))
        # one single-sample action inference (FIXAR's timestep ends with it)
        with torch.no_grad():
            action = actor(state)
        return critic_loss, actor_loss, action

    def infer_only():
        with torch.no_grad():
            return actor(state)

    for _ in range(args.warmup):
        cl, al, _ = timestep()
    assert torch.isfinite(cl) and torch.isfinite(al), "non-finite loss in warm-up"

    load_before = _common.loadavg()
    per_step, cpu_per_step, counts = [], [], []
    for _ in range(args.repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        deadline = t0 + args.max_seconds / args.repeats
        done = 0
        while done < args.updates:
            cl, al, _ = timestep()
            done += 1
            if done >= 10 and time.perf_counter() > deadline:
                break  # time cap: keep the default run short on a loaded machine
        float(cl)  # make sure everything has run
        per_step.append((time.perf_counter() - t0) / done)
        cpu_per_step.append((time.process_time() - c0) / done)
        counts.append(done)
    load_after = _common.loadavg()

    # Inference alone, for the breakdown.
    n_inf = 2000
    for _ in range(100):
        infer_only()
    t0 = time.perf_counter()
    for _ in range(n_inf):
        infer_only()
    t_inf = (time.perf_counter() - t0) / n_inf

    med, best = statistics.median(per_step), min(per_step)
    return {
        "batch": B, "threads": int(args.threads), "interop_threads": args.interop,
        "adam": args.adam, "emulate": args.emulate,
        "fq_backend": args.fq_backend if args.emulate != "none" else None, "updates_per_repeat": counts, "repeats": args.repeats,
        "warmup": args.warmup,
        "s_per_step_all": per_step, "s_per_step_median": med, "s_per_step_best": best,
        "ips_median": B / med, "ips_best": B / best,
        "updates_per_s_median": 1.0 / med, "updates_per_s_best": 1.0 / best,
        "s_inference_only": t_inf,
        # process CPU time (all threads) per timestep; with 1 thread B/cpu_s is a
        # contention-robust estimate of the IPS an idle core would give
        "cpu_s_per_step_median": statistics.median(cpu_per_step),
        "ips_cpu_time": B / statistics.median(cpu_per_step),
        "final_critic_loss": float(cl), "final_actor_loss": float(al),
        "loadavg_before": load_before, "loadavg_after": load_after,
        "torch": torch.__version__, "torch_num_threads": torch.get_num_threads(),
        "torch_num_interop_threads": torch.get_num_interop_threads(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batches", default="64,128,256,512", help="comma list (default %(default)s)")
    ap.add_argument("--threads", default="1,2,2p",
                    help="comma list of torch intra-op thread counts; suffix p = same with "
                         "OMP_WAIT_POLICY=PASSIVE (default %(default)s)")
    ap.add_argument("--interop", type=int, default=1,
                    help="torch.set_num_interop_threads (default %(default)s; inter-op pool is "
                         "unused by this eager single-stream loop)")
    ap.add_argument("--updates", type=int, default=150,
                    help="timed timesteps per repeat (default %(default)s)")
    ap.add_argument("--max-seconds", type=float, default=8.0,
                    help="cap on timed seconds per (batch, threads) config, split over repeats; "
                         "a repeat stops early (>= 10 steps) when over it (default %(default)s)")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats; median and best kept")
    ap.add_argument("--warmup", type=int, default=30, help="untimed warm-up timesteps")
    ap.add_argument("--buffer", type=int, default=100_000, help="synthetic replay size")
    ap.add_argument("--adam", choices=["foreach", "fused", "single"], default="foreach",
                    help="torch Adam implementation (default %(default)s, torch's CPU default)")
    ap.add_argument("--emulate", choices=["none", "fixar"], default="none",
                    help="none: float32; fixar: FIXAR's formats after the QAT switch by qtorch fake "
                         "quantization (module doc)")
    ap.add_argument("--fq-backend", choices=["qtorch", "torch"], default="qtorch",
                    help="--emulate fixar's fake quantization: qtorch's kernels or PyTorch's own ops")
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
    print(f"# ddpg_torch learner-only benchmark, {'float32' if args.emulate == 'none' else 'fixar by qtorch fake quantization'}"
          f"  ({_common.uptime_line()})")
    print(f"# obs {OBS_DIM} act {ACT_DIM}, actor/critic {H1}-{H2}, Adam({args.adam}) lr 1e-4, "
          f"tau 0.005, gamma 0.99; {args.repeats} x {args.updates} timed steps "
          f"(+{args.warmup} warm-up); interop threads {args.interop}")
    hdr = (f"{'B':>4} {'thr':>3} {'ms/step med':>11} {'ms/step best':>12} {'IPS med':>9} "
           f"{'IPS best':>9} {'upd/s med':>9} {'infer us':>8} {'IPS(cpu)':>9}  load(1m) before/after")
    print(hdr)
    print("-" * len(hdr))
    results = []
    for B in batches:
        for label, T, passive in threads:
            wargs = ["--batch", str(B), "--threads", str(T), "--interop", str(args.interop),
                     "--updates", str(args.updates), "--repeats", str(args.repeats),
                     "--warmup", str(args.warmup), "--max-seconds", str(args.max_seconds),
                     "--buffer", str(args.buffer),
                     "--adam", args.adam, "--seed", str(args.seed), "--emulate", args.emulate,
                     "--fq-backend", args.fq_backend]
            r = _common.run_worker(os.path.abspath(__file__), wargs, T, passive)
            r["thread_setting"] = label
            r["omp_wait_policy"] = "PASSIVE" if passive else "default"
            results.append(r)
            lb = r["loadavg_before"][0] if r["loadavg_before"] else float("nan")
            la = r["loadavg_after"][0] if r["loadavg_after"] else float("nan")
            print(f"{B:>4} {label:>3} {r['s_per_step_median']*1e3:>11.3f} "
                  f"{r['s_per_step_best']*1e3:>12.3f} {r['ips_median']:>9.0f} "
                  f"{r['ips_best']:>9.0f} {r['updates_per_s_median']:>9.1f} "
                  f"{r['s_inference_only']*1e6:>8.1f} {r['ips_cpu_time']:>9.0f}  {lb:.2f}/{la:.2f}", flush=True)

    best = {}
    for B in batches:
        rs = [r for r in results if r["batch"] == B]
        b = max(rs, key=lambda r: r["ips_median"])
        best[str(B)] = {"threads": b["thread_setting"], "ips": b["ips_median"],
                        "updates_per_s": b["updates_per_s_median"]}
    print("\nbest thread setting per batch (median of repeats):")
    print(f"{'B':>4} {'thr':>3} {'learner IPS':>11} {'updates/s':>9}")
    for B, b in best.items():
        print(f"{B:>4} {b['threads']:>3} {b['ips']:>11.0f} {b['updates_per_s']:>9.1f}")
    mean_best = statistics.mean(b["ips"] for b in best.values())
    print(f"mean of best IPS over batches: {mean_best:.0f} samples/s")
    print(f"# units: IPS = samples/s = B / (s per update+inference); ms/step = wall ms per "
          f"timestep; infer us = single-sample actor forward alone (us);\n"
          f"#        IPS(cpu) = B / process CPU s per timestep (summed over threads; "
          f"with thr 1 a load-robust estimate)")
    print(f"# {_common.uptime_line()}")
    _common.write_json(args.json, {
        "benchmark": "ddpg_torch_learner", "machine": _common.machine_info(),
        "args": {k: v for k, v in vars(args).items() if not k.startswith("_") and k != "batch"},
        "results": results, "best_per_batch": best, "mean_best_ips": mean_best,
        "uptime_end": _common.uptime_line(),
    })


if __name__ == "__main__":
    main()
