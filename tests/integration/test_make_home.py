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


def test_playbook_modules_are_copied_inside_the_project():
    """A playbook's modules go to remote_tmp, ~/.ansible/tmp by default, with ~ read from the user
    database whatever $HOME says: make and the test session point it into the build directory."""
    build = str(REPO / ".build")
    shown = subprocess.run(["make", "-s", "--eval", "show-remote-tmp: ; @echo $$ANSIBLE_REMOTE_TMP",
                            "show-remote-tmp"], cwd=str(REPO), capture_output=True, text=True, timeout=60,
                           check=False)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().startswith(build), shown.stdout
    # the sh shell plugin's remote_tmp, as this session's ansible-playbook runs see it
    dump = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-config"), "dump", "-t", "shell"], cwd=str(REPO),
                          capture_output=True, text=True, timeout=120, check=False, env=dict(os.environ))
    assert dump.returncode == 0, dump.stderr
    sh = dump.stdout[dump.stdout.index("\nsh:"):]
    line = [x for x in sh.splitlines() if x.startswith("remote_tmp")][0]
    assert "env: ANSIBLE_REMOTE_TMP" in line and line.split("=", 1)[1].strip().startswith(build), line
