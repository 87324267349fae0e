#!/usr/bin/env python3
"""Train a small residual CNN on Fashion-MNIST in PyTorch, export it to ONNX, and check that
`fixar quant --load model.onnx` measures the same float test accuracy (a developer tool:
PyTorch is never a dependency of fixar).

Usage (from the repository root, after a build; runs in <repo>/.venv-bench, made by
bench/baselines/setup_venv.sh, plus the `onnx` package the exporter needs):
    python3 tools/validate_onnx_import.py [--epochs 1] [--fixar build/release/fixar]

Inputs follow fixar's convention: pixels / 255, standardised with the training set's mean
and standard deviation (src/data; docs/cnn.md). Prints PyTorch's test accuracy, fixar's float accuracy of the imported model and the
4/4-bit accuracy fixar reaches after its default fine-tune; exit code 1 when the float
accuracies differ by more than 0.05 points (a handful of the 10 000 images, from float32
sums in another order).
"""
import argparse
import gzip
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(REPO, ".venv-bench")
DATA = "/usr/share/datasets/fashion-mnist"


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return f.read()[offset:]


def main():
    if os.path.realpath(sys.prefix) != os.path.realpath(VENV):
        python = os.path.join(VENV, "bin", "python")
        if not os.path.exists(python):
            sys.exit("no .venv-bench: run bench/baselines/setup_venv.sh first (it installs torch)")
        os.execv(python, [python] + sys.argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--fixar", default=os.path.join(REPO, "build", "release", "fixar"))
    args = parser.parse_args()
    try:
        import onnx  # noqa: F401  (torch's exporter needs it)
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "onnx"], check=True)
    import numpy as np
    import torch
    from torch import nn

    torch.manual_seed(1)
    torch.set_num_threads(1)
    def images(name):
        return torch.from_numpy(np.frombuffer(idx(os.path.join(DATA, name), 16), np.uint8).reshape(-1, 1, 28, 28).copy())
    def labels(name):
        return torch.from_numpy(np.frombuffer(idx(os.path.join(DATA, name), 8), np.uint8).astype(np.int64))
    x_train, y_train = images("train-images-idx3-ubyte.gz").float() / 255, labels("train-labels-idx1-ubyte.gz")
    x_test, y_test = images("t10k-images-idx3-ubyte.gz").float() / 255, labels("t10k-labels-idx1-ubyte.gz")
    # fixar's input convention (src/data): pixels / 255, standardised by the training set's
    # mean and standard deviation. A model for fixar is trained on the same inputs.
    mean = x_train.double().mean().item()
    std = ((x_train.double() - mean) ** 2).mean().sqrt().item()
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std

    class Block(nn.Module):  # ResNet's basic block with an identity shortcut
        def __init__(self, c):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                                      nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))

        def forward(self, x):
            return torch.relu(self.body(x) + x)

    net = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        Block(16), nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    for epoch in range(args.epochs):
        net.train()
        order = torch.randperm(len(x_train))
        for i in range(0, len(order), 128):
            b = order[i:i + 128]
            opt.zero_grad()
            nn.functional.cross_entropy(net(x_train[b]), y_train[b]).backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        torch_acc = 100.0 * (net(x_test).argmax(1) == y_test).float().mean().item()

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pytorch_cnn.onnx")
        torch.onnx.export(net, x_test[:1], path, input_names=["input"], output_names=["logits"], opset_version=13,
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False,
                          training=torch.onnx.TrainingMode.PRESERVE)
        out = subprocess.run([args.fixar, "quant", "--load", path, "--uniform-bits", "4,4", "--threads", "2"],
                             capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"fixar quant failed ({out.returncode}):\n{out.stderr}")
    m = re.search(r"float ([0-9.]+)%, quantized ([0-9.]+)% \(before fine-tune\), ([0-9.]+)% after", out.stdout)
    if not m:
        sys.exit(f"no accuracy line in fixar's output:\n{out.stdout}")
    fixar_float, before, after = (float(g) for g in m.groups())
    print(f"PyTorch {torch.__version__}: {args.epochs} epoch(s), test accuracy {torch_acc:.2f}%")
    print(f"fixar quant --load (ONNX): float {fixar_float:.2f}%, 4/4 bits {before:.2f}% before and {after:.2f}% after "
          f"fine-tuning")
    ok = abs(torch_acc - fixar_float) <= 0.05
    print(f"float accuracies {'agree' if ok else 'DIFFER'} (|difference| {abs(torch_acc - fixar_float):.2f} points, "
          f"tolerance 0.05)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
