#!/usr/bin/env python3
"""Float32 CNN training and evaluation speed in PyTorch, the same nets as FIXAR's.

The net is built from FIXAR's model TOML (configs/models/*.toml: conv, batchnorm, relu,
maxpool, avgpool, flatten, linear with the same shapes, bias flags, BN eps 1e-5 and
momentum 0.1), and its parameter count is checked against the count FIXAR's formula
gives, so a layer the builder got wrong stops the run. One training step is what
cnn::Train does: forward in train mode, softmax cross-entropy (mean), backward, Adam
(betas 0.9/0.999, eps 1e-8, L2 weight decay on conv/linear weights only, the TOML's
lr and batch; the learning-rate schedule is left out: it costs nothing). Evaluation is
cnn::Evaluate: eval mode, no autograd, batch 256, loss + argmax.

Images: the first N Fashion-MNIST training images (normalised like FIXAR: mean/std of
the training set) when the IDX files are present, else seeded random images: the speed
does not depend on the values.

  .venv-bench/bin/python bench/baselines/cnn_torch.py --model configs/models/vgg_small.toml \
      --threads 1 --images 6400
  # prints one JSON line: train_images_per_s, eval_images_per_s, ...
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import struct
import sys
import time
import tomllib

import numpy as np

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"


def load_images(data_dir: str, n: int, shape: tuple[int, int, int], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """First n training images, normalised with the training set's mean and std."""
    img_path = os.path.join(data_dir, "train-images-idx3-ubyte.gz")
    lab_path = os.path.join(data_dir, "train-labels-idx1-ubyte.gz")
    if os.path.exists(img_path) and os.path.exists(lab_path):
        with gzip.open(img_path, "rb") as f:
            _, count, rows, cols = struct.unpack(">IIII", f.read(16))
            pixels = np.frombuffer(f.read(), dtype=np.uint8).reshape(count, 1, rows, cols)
        with gzip.open(lab_path, "rb") as f:
            f.read(8)
            labels = np.frombuffer(f.read(), dtype=np.uint8).astype(np.int64)
        x = pixels.astype(np.float32) / 255.0
        x = (x - x.mean()) / x.std()
        reps = (n + count - 1) // count
        return np.tile(x, (reps, 1, 1, 1))[:n].copy(), np.tile(labels, reps)[:n].copy()
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, *shape), dtype=np.float32), rng.integers(0, 10, n)


def build(cfg: dict):
    """nn.Sequential from the model TOML; returns (net, expected parameter count)."""
    from torch import nn

    c, h, w = cfg["model"]["input"]
    layers, params = [], 0
    for spec in cfg["layer"]:
        t = spec["type"]
        if t == "conv":
            k, s, p, out = spec["kernel"], spec.get("stride", 1), spec.get("padding", 0), spec["out"]
            bias = spec.get("bias", True)
            layers.append(nn.Conv2d(c, out, k, stride=s, padding=p, bias=bias))
            params += out * c * k * k + (out if bias else 0)
            c, h, w = out, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        elif t == "linear":
            bias = spec.get("bias", True)
            layers.append(nn.Linear(c * h * w, spec["out"], bias=bias))
            params += spec["out"] * c * h * w + (spec["out"] if bias else 0)
            c, h, w = spec["out"], 1, 1
        elif t == "batchnorm":
            layers.append(nn.BatchNorm2d(c, eps=1e-5, momentum=0.1))
            params += 2 * c
        elif t == "relu":
            layers.append(nn.ReLU())
        elif t in ("maxpool", "avgpool"):
            k = spec["kernel"]
            s = spec.get("stride", k)
            layers.append(nn.MaxPool2d(k, s) if t == "maxpool" else nn.AvgPool2d(k, s))
            h, w = (h - k) // s + 1, (w - k) // s + 1
        elif t == "flatten":
            layers.append(nn.Flatten())
            c, h, w = c * h * w, 1, 1
        else:
            raise ValueError(f"layer type {t!r} is not known to cnn_torch.py")
    return nn.Sequential(*layers), params


def timed(fn, batches: int) -> tuple[float, float]:
    """(wall s, process CPU s) of fn(0..batches-1)."""
    t0, c0 = time.perf_counter(), time.process_time()
    for b in range(batches):
        fn(b)
    return time.perf_counter() - t0, time.process_time() - c0


def run(args: argparse.Namespace) -> dict:
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(args.seed)
    with open(args.model, "rb") as f:
        cfg = tomllib.load(f)
    net, expected = build(cfg)
    got = sum(p.numel() for p in net.parameters())
    if got != expected:
        raise SystemExit(f"cnn_torch.py: built {got} parameters, the TOML's shapes give {expected}")
    train_cfg = cfg.get("train", {})
    batch = args.batch or train_cfg.get("batch", 128)
    lr = train_cfg.get("lr", 2e-3)
    wd = train_cfg.get("weight_decay", 0.0)
    decay = [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    decay_ids = {id(p) for p in decay}
    rest = [p for p in net.parameters() if id(p) not in decay_ids]
    opt = torch.optim.Adam([{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}],
                           lr=lr, betas=(0.9, 0.999), eps=1e-8)
    shape = tuple(cfg["model"]["input"])
    x_np, y_np = load_images(args.data, args.images, shape, args.seed)
    x_all, y_all = torch.from_numpy(x_np), torch.from_numpy(y_np)
    loss_fn = nn.CrossEntropyLoss()
    steps = args.images // batch

    def train_step(b: int) -> None:
        i = (b % steps) * batch
        xb, yb = x_all[i:i + batch], y_all[i:i + batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(xb), yb)
        loss.backward()
        opt.step()

    eval_batch = 256
    eval_steps = (args.images + eval_batch - 1) // eval_batch

    def eval_step(b: int) -> None:
        i = (b % eval_steps) * eval_batch
        xb, yb = x_all[i:i + eval_batch], y_all[i:i + eval_batch]
        logits = net(xb)
        loss_fn(logits, yb).item()
        (logits.argmax(1) == yb).sum().item()

    net.train()
    timed(train_step, args.warmup)
    t_train, c_train = timed(train_step, steps)
    net.eval()
    with torch.inference_mode():
        timed(eval_step, 1)
        t_eval, c_eval = timed(eval_step, eval_steps)
    return {
        "impl": "pytorch", "torch": torch.__version__, "model": cfg["model"]["name"], "threads": args.threads,
        "batch": batch, "train_images": steps * batch, "train_s": t_train,
        "train_images_per_s": steps * batch / t_train, "train_cpu_s": c_train, "eval_images": args.images,
        "eval_s": t_eval, "eval_images_per_s": args.images / t_eval, "eval_cpu_s": c_eval, "params": got,
        "loadavg": list(os.getloadavg()),
    }


def conv_layers(args: argparse.Namespace) -> None:
    """CPU ms per batch of every conv layer alone (PyTorch's convolution: oneDNN, listed as
    aten::mkldnn_convolution in its profiler), forward and backward (weight + input
    gradient; none for the first layer's input), best of N: the counterpart of
    bench_cnn_speed --conv-layers."""
    import torch

    torch.set_num_threads(args.threads)
    with open(args.model, "rb") as f:
        cfg = tomllib.load(f)
    net, _ = build(cfg)
    batch = args.batch or cfg.get("train", {}).get("batch", 128)
    x = torch.randn(batch, *cfg["model"]["input"])
    print(f"conv layers, batch {batch}, CPU ms (best of {args.conv_layers}), torch {torch.__version__}:")
    first = True
    for layer in net:
        if isinstance(layer, torch.nn.Conv2d):
            xi = x.detach().requires_grad_(not first)
            y = layer(xi)
            g = torch.randn_like(y)

            def best(fn):
                b = 1e9
                for _ in range(args.conv_layers):
                    t0 = time.process_time()
                    fn()
                    b = min(b, time.process_time() - t0)
                return 1e3 * b

            def fwd():
                with torch.no_grad():
                    layer(xi)

            def bwd():
                out = layer(xi)
                torch.autograd.grad(out, [layer.weight] + ([xi] if not first else []), g)

            f, fb = best(fwd), best(bwd)
            shape = f"{layer.in_channels}->{layer.out_channels} k{layer.kernel_size[0]} {x.shape[2]}x{x.shape[3]}"
            print(f"  {shape:<20} fwd {f:8.2f}  bwd {fb - f:8.2f}  (fwd+bwd measured {fb:.2f})")
            first = False
        with torch.no_grad():
            x = layer(x)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="configs/models/vgg_small.toml")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--images", type=int, default=6400, help="timed training images (whole batches)")
    ap.add_argument("--batch", type=int, default=0, help="default: the TOML's [train] batch")
    ap.add_argument("--warmup", type=int, default=3, help="untimed training steps first")
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--conv-layers", type=int, default=0, help="time every conv layer alone, best of N; then exit")
    args = ap.parse_args()
    if args.conv_layers:
        conv_layers(args)
        return
    # OpenMP reads its thread count at start-up; the driver sets OMP_NUM_THREADS too.
    print(json.dumps(run(args)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
