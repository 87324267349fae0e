#!/usr/bin/env python3
"""Export the small CNNs that tests/cnn/onnx_import_test.cpp reads, from PyTorch (a
developer tool: PyTorch is never a dependency of fixar).

Usage (from the repository root):
    python3 tools/make_onnx_fixtures.py [OUT_DIR]      # default tests/cnn/data

Runs in <repo>/.venv-bench (bench/baselines/setup_venv.sh makes it, with torch; the `onnx`
package the exporter needs is installed on first use). Random weights and BatchNorm
statistics (as after training), eval mode. Writes:
  tiny_cnn.onnx        Conv(no bias)-BatchNorm-Relu-MaxPool-Conv-Relu-AveragePool-Flatten-
                       Gemm-Relu-Gemm on 1x28x28;
  tiny_resnet.onnx     Conv-BN-Relu, a basic block with an identity shortcut (Add), MaxPool,
                       another block, AveragePool, Flatten, Gemm;
  <name>_io.csv        for both: 3 images and PyTorch's logits for them: pixels p0..p783
                       (0..255; the network sees p/255 in float32), logits out0..out9;
  tiny_projection.onnx a block whose shortcut has a 1x1 conv of its own (a branch);
  tiny_sigmoid.onnx    a Sigmoid, an operator fixar's CNNs do not have.
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

    class Block(nn.Module):
        """ResNet's basic block; `projection` gives the shortcut a 1x1 conv of its own."""

        def __init__(self, c, projection=False):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                                      nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
            self.shortcut = nn.Conv2d(c, c, 1) if projection else nn.Identity()

        def forward(self, x):
            return torch.relu(self.body(x) + self.shortcut(x))

    def trained_statistics(model):
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.5, 0.5)
                    m.running_var.uniform_(0.5, 2.0)
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.2, 0.2)
        return model.eval()

    pixels = torch.randint(0, 256, (3, 1, 28, 28))
    x = pixels.float() / 255
    models = {
        "tiny_cnn": nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
            nn.Flatten(), nn.Linear(8 * 7 * 7, 16), nn.ReLU(), nn.Linear(16, 10)),
        "tiny_resnet": nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), Block(4), nn.MaxPool2d(2),
            Block(4), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(4 * 7 * 7, 10)),
    }
    for name, model in models.items():
        trained_statistics(model)
        export(model, x, os.path.join(out, f"{name}.onnx"))
        with torch.no_grad():
            y = model(x)
        with open(os.path.join(out, f"{name}_io.csv"), "w") as f:
            f.write(",".join([f"p{i}" for i in range(784)] + [f"out{j}" for j in range(10)]) + "\n")
            for pi, yi in zip(pixels.reshape(3, -1).tolist(), y.tolist()):
                f.write(",".join([str(v) for v in pi] + [repr(v) for v in yi]) + "\n")
    projection = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), Block(2, projection=True), nn.AvgPool2d(4), nn.Flatten(),
                               nn.Linear(2 * 7 * 7, 10))
    export(trained_statistics(projection), x, os.path.join(out, "tiny_projection.onnx"))
    export(nn.Sequential(nn.AvgPool2d(4), nn.Flatten(), nn.Linear(49, 10), nn.Sigmoid()).eval(), x,
           os.path.join(out, "tiny_sigmoid.onnx"))
    print(f"wrote {', '.join(models)}, their _io.csv, tiny_projection, tiny_sigmoid to {out} (torch {torch.__version__})")


def export(model, x, path):
    import torch
    # PRESERVE keeps BatchNormalization a node of its own (EVAL would fold it into the conv).
    torch.onnx.export(model, x, path, input_names=["input"], output_names=["logits"], opset_version=13,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False,
                      training=torch.onnx.TrainingMode.PRESERVE)


if __name__ == "__main__":
    main()
