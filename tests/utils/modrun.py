"""Run a module of the collection through its real entry point.

Each call starts ``python -m ansible_collections.ctyun.cce_migration.plugins.modules.<name>``
with an argument file, exactly as Ansible hands arguments to a module, and returns
the module's JSON result. ``check`` and ``diff`` map to ``--check`` / ``--diff``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from .devpath import DEV_ROOT, ensure_dev_path
from .returndoc import undocumented


class ModuleRun(dict):
    """The module's result dict, plus ``rc``, ``stdout`` and ``stderr`` of the process."""

    rc: int = 0
    stdout: str = ""
    stderr: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.get("failed"))


def run_module(name, params, check=False, diff=False, env=None, timeout=600, verbosity=0):
    ensure_dev_path()
    args = dict(params)
    args["_ansible_check_mode"] = bool(check)
    args["_ansible_diff"] = bool(diff)
    args["_ansible_verbosity"] = verbosity
    args.setdefault("_ansible_no_log", False)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, fh)
        path = fh.name
    run_env = dict(os.environ)
    if env:
        run_env.update(env)
    run_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(DEV_ROOT), run_env.get("PYTHONPATH")]))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ansible_collections.ctyun.cce_migration.plugins.modules.%s" % name, path],
            capture_output=True, text=True, env=run_env, timeout=timeout, check=False)
    finally:
        os.unlink(path)
    try:
        start = proc.stdout.index("{")
        result = ModuleRun(json.loads(proc.stdout[start:]))
    except ValueError:
        result = ModuleRun(failed=True, msg="module printed no JSON", module_stdout=proc.stdout)
    result.rc = proc.returncode
    result.stdout = proc.stdout
    result.stderr = proc.stderr
    if not result.failed:
        missing = undocumented(name, result)
        assert not missing, "%s returned keys its RETURN does not document: %s" % (name, ", ".join(missing))
    return result
