#!/usr/bin/env python3
"""Export the small CNNs that tests/cnn/onnx_import_test.cpp reads, from PyTorch (a
developer tool: PyTorch is never a dependency of fixar).

Usage (from the repository root):
    python3 tools/make_onnx_fixtures.py [OUT_DIR]      # default tests/cnn/data

Runs in <repo>/.venv-bench (bench/baselines/setup_venv.sh makes it, with torch). Writes:
  tiny_cnn.onnx      Conv(no bias)-BatchNorm-Relu-MaxPool-Conv-Relu-AveragePool-Flatten-
                     Gemm-Relu-Gemm on 1x28x28, random weights and BN statistics, eval mode;
  tiny_cnn_io.csv    3 images and PyTorch's logits for them: pixels p0..p783 (0..255; the
                     network sees p/255 in float32), logits out0..out9;
  tiny_residual.onnx a block with a residual Add (x + conv(x)): not a layer sequence;
  tiny_sigmoid.onnx  a Sigmoid, an operator fixar's CNNs do not have.
"""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PY = os.path.join(REPO, ".venv-bench", "bin", "python")


def main():
    if os.path.realpath(sys.prefix) != os.path.realpath(os.path.join(REPO, ".venv-bench")):
        if not os.path.exists(VENV_PY):
            sys.exit("no .venv-bench: run bench/baselines/setup_venv.sh first (it installs torch)")
        os.execv(VENV_PY, [VENV_PY] + sys.argv)
    try:
        import onnx  # noqa: F401  (torch's exporter needs it)
    except ImportError:
        import subprocess
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "onnx"], check=True)
    import torch
    from torch import nn

    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "tests", "cnn", "data")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(7)

    tiny = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(8 * 7 * 7, 16), nn.ReLU(), nn.Linear(16, 10))
    bn = tiny[1]
    with torch.no_grad():  # statistics as after training, not the defaults
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.2, 0.2)
    tiny.eval()
    pixels = torch.randint(0, 256, (3, 1, 28, 28))
    x = pixels.float() / 255
    export(tiny, x, os.path.join(out, "tiny_cnn.onnx"))
    with torch.no_grad():
        y = tiny(x)
    with open(os.path.join(out, "tiny_cnn_io.csv"), "w") as f:
        f.write(",".join([f"p{i}" for i in range(784)] + [f"out{j}" for j in range(10)]) + "\n")
        for pi, yi in zip(pixels.reshape(3, -1).tolist(), y.tolist()):
            f.write(",".join([str(v) for v in pi] + [repr(v) for v in yi]) + "\n")

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 1, 3, padding=1)
            self.head = nn.Sequential(nn.AvgPool2d(4), nn.Flatten(), nn.Linear(49, 10))

        def forward(self, x):
            return self.head(x + self.conv(x))

    export(Residual().eval(), x, os.path.join(out, "tiny_residual.onnx"))
    export(nn.Sequential(nn.AvgPool2d(4), nn.Flatten(), nn.Linear(49, 10), nn.Sigmoid()).eval(), x,
           os.path.join(out, "tiny_sigmoid.onnx"))
    print(f"wrote tiny_cnn.onnx, tiny_cnn_io.csv, tiny_residual.onnx, tiny_sigmoid.onnx to {out} "
          f"(torch {torch.__version__})")


def export(model, x, path):
    import torch
    # PRESERVE keeps BatchNormalization a node of its own (EVAL would fold it into the conv).
    torch.onnx.export(model, x, path, input_names=["input"], output_names=["logits"], opset_version=13,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False,
                      training=torch.onnx.TrainingMode.PRESERVE)


if __name__ == "__main__":
    main()
