"""A private virtualenv for the validation scripts in tools/ (never a dependency of fixar).

ensure_venv(name, packages) re-executes the calling script inside <repo>/.venv-<name>
(git-ignored), creating it and installing `packages` from PyPI on first use.
"""
import os
import subprocess
import sys
import venv

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ensure_venv(name, packages):
    """Re-executes inside <repo>/.venv-<name>, creating it with `packages` when missing."""
    path = os.path.join(REPO, f".venv-{name}")
    python = os.path.join(path, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(path):
        return
    if not os.path.exists(python):
        print(f"creating {path} and installing {', '.join(packages)} from PyPI ...", file=sys.stderr)
        venv.create(path, with_pip=True)
        result = subprocess.run([python, "-m", "pip", "install", "-q", *packages])
        if result.returncode != 0:
            sys.exit(f"pip install {' '.join(packages)} failed (is PyPI reachable?); no validation run")
    os.execv(python, [python] + sys.argv)
