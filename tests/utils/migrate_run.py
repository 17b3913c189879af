"""Run playbooks/migrate.yml against a lab, as `make demo` does (shared by the end-to-end and
reliability tests)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.utils.devpath import DEV_ROOT, REPO, ensure_dev_path

RECAP = re.compile(r"^(\S+)\s*: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def playbook_cmd(lab, workdir, playbook="migrate.yml", extra=None, verbosity=0, tags=()):
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(lab.dir / "inventory.yml"),
           str(REPO / "playbooks" / playbook), "-e", "@%s" % (REPO / "tests" / "demo" / "demo_vars.yml"),
           "-e", json.dumps(dict({"migration_workdir": str(workdir)}, **(extra or {})))]
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    return cmd + list(tags)


def playbook_env(lab):
    ensure_dev_path()
    env = dict(os.environ)
    env.update(lab.env)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(DEV_ROOT), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0", PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""))
    return env


def run_playbook(lab, workdir, playbook="migrate.yml", extra=None, verbosity=0, timeout=900, tags=()):
    proc = subprocess.run(playbook_cmd(lab, workdir, playbook, extra, verbosity, tags), capture_output=True, text=True,
                          env=playbook_env(lab), timeout=timeout, check=False)
    recap = dict((m.group(1), dict(ok=int(m.group(2)), changed=int(m.group(3)), failed=int(m.group(5))))
                 for m in RECAP.finditer(proc.stdout))
    return proc, recap
