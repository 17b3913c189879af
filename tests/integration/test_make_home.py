"""`make` stays inside the project: building, installing and linting neither create nor change
anything in the user's home directory (issue 17, point 8)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _listing(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_build_install_and_lint_recipes_leave_home_alone(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "marker").write_text("x")
    before = _listing(home)
    env = dict(os.environ, HOME=str(home))
    env.pop("ANSIBLE_HOME", None)
    proc = subprocess.run(["make", "-s", "install"], cwd=str(REPO), env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _listing(home) == before
    # the lint and sanity recipes point HOME into the build directory and delete nothing outside it
    dry = subprocess.run(["make", "-n", "ansible-lint", "sanity"], cwd=str(REPO), env=env, capture_output=True,
                         text=True, timeout=60, check=False)
    assert dry.returncode == 0, dry.stderr
    assert "$HOME" not in dry.stdout and str(home) not in dry.stdout
    lint = [line for line in dry.stdout.splitlines() if "ansible-lint --offline" in line]
    sanity = [line for line in dry.stdout.splitlines() if "ansible-test sanity" in line]
    assert lint and sanity
    assert all("HOME=%s" % (REPO / ".build" / "home") in line for line in lint + sanity)
    assert not [line for line in dry.stdout.splitlines() if "rm -rf" in line and ".build" not in line]
