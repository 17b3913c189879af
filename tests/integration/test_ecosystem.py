"""Packaging and tooling: ansible-doc for every module, the built tarball, the
execution environment build context."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.utils.devpath import DEV_ROOT, REPO, ensure_dev_path

BIN = Path(sys.executable).parent
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__")


def _env():
    ensure_dev_path()
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(DEV_ROOT)
    return env


def test_every_module_is_listed_by_ansible_doc():
    out = subprocess.run([str(BIN / "ansible-doc"), "-t", "module", "-l", "ctyun.cce_migration", "-j"],
                         capture_output=True, text=True, env=_env(), check=True)
    listed = set(json.loads(out.stdout))
    assert {"ctyun.cce_migration.%s" % m for m in MODULES} <= listed
    assert len(MODULES) >= 1


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_docs_examples_and_return(module):
    out = subprocess.run([str(BIN / "ansible-doc"), "-j", "ctyun.cce_migration.%s" % module],
                         capture_output=True, text=True, env=_env(), check=True)
    doc = json.loads(out.stdout)["ctyun.cce_migration.%s" % module]
    assert doc["doc"]["short_description"]
    assert doc["examples"].strip()
    assert doc["return"], "RETURN is empty"
    assert doc["doc"].get("attributes", {}).get("check_mode", {}).get("support") in ("full", "partial")


def test_runtime_action_groups_name_existing_modules():
    import yaml

    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    for group, members in runtime["action_groups"].items():
        missing = [m for m in members if m not in MODULES]
        assert not missing, "action group %s names missing modules %s" % (group, missing)


def test_built_collection_has_no_lab_or_venv(tmp_path):
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(tmp_path),
                    str(REPO)], capture_output=True, text=True, check=True)
    (tarball,) = tmp_path.glob("ctyun-cce_migration-*.tar.gz")
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "plugins/modules/%s.py" % MODULES[0] in names
    bad = [n for n in names if n.startswith(("tests/lab/", ".venv/", ".lab/", ".build/", ".collections/"))]
    assert not bad


def test_execution_environment_context(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(dist),
                    str(REPO)], capture_output=True, text=True, check=True)
    # ansible-builder resolves additional_build_files relative to the definition's folder.
    work = tmp_path / "ee"
    work.mkdir()
    (work / ".build").mkdir()
    for tarball in dist.glob("*.tar.gz"):
        (work / ".build" / tarball.name).write_bytes(tarball.read_bytes())
    (work / "execution-environment.yml").write_text((REPO / "execution-environment.yml").read_text())
    (work / "requirements.txt").write_text((REPO / "requirements.txt").read_text())
    subprocess.run([str(BIN / "ansible-builder"), "create", "-f", "execution-environment.yml", "--context", "ctx"],
                   cwd=work, capture_output=True, text=True, check=True)
    dockerfile = (work / "ctx" / "Dockerfile").read_text()
    assert "ansible-galaxy collection install /tmp/ctyun-collections/" in dockerfile
    assert list((work / "ctx" / "_build" / "collections").glob("ctyun-cce_migration-*.tar.gz"))
    assert "kubernetes" in (work / "ctx" / "_build" / "requirements.txt").read_text()
