"""cluster_assess and the assess role against the lab's seeded source cluster."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.utils.modrun import run_module

from .pngread import count_color, read_png

REPO = Path(__file__).resolve().parents[2]
BAR_WORKLOADS = (0x2B, 0x6C, 0xB0)
BAR_CPU = (0xDD, 0x6B, 0x20)
PAGE_SIZE = 7   # small, so every kind with more than 7 objects needs several pages


def _requests(lab_dir):
    path = Path(lab_dir) / "requests.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def _seed(lab_dir):
    return json.loads((Path(lab_dir) / "seed.json").read_text())["source"]


@pytest.fixture(scope="module")
def lab(lab_source):
    return lab_source


@pytest.fixture(scope="module")
def assessed(lab, tmp_path_factory):
    """One full run of the module, with the request log lines it caused."""
    out = tmp_path_factory.mktemp("assess") / "reports"
    before = len(_requests(lab.dir))
    result = run_module("cluster_assess", dict(kubeconfig=lab.kubeconfig, context="source", output_dir=str(out),
                                               page_size=PAGE_SIZE))
    assert not result.failed, result.get("msg") or result.stderr[-3000:]
    log = _requests(lab.dir)[before:]
    return result, out, log


def test_every_seeded_kind_counted_exactly(lab, assessed):
    result, _out, _log = assessed
    seed = _seed(lab.dir)["counts"]
    assert len(seed) >= 15, seed
    assert dict((kind, result["counts"].get(kind)) for kind in seed) == seed
    facts = result["assessment"]
    assert facts["workloads"]["by_kind"]["Deployment"]["count"] == seed["Deployment"]
    assert facts["config"]["secrets"] == seed["Secret"] and facts["config"]["configmaps"] == seed["ConfigMap"]
    assert facts["namespaces"]["count"] == seed["Namespace"] and facts["nodes"]["count"] == seed["Node"]
    assert facts["version"]["git_version"].startswith("v1.22")
    assert facts["images"]["unique"] == len(facts["images"]["items"]) > 0


def test_deprecated_cronjob_and_pdb_apis_found(assessed):
    result, _out, _log = assessed
    ids = dict((f["id"], f) for f in result["findings"])
    cron = ids.get("removed-api:batch/v1beta1:CronJob")
    pdb = ids.get("removed-api:policy/v1beta1:PodDisruptionBudget")
    assert cron and pdb, sorted(ids)
    assert cron["details"]["removed_in"] == "1.25" and cron["details"]["replacement"] == "batch/v1"
    assert pdb["details"]["removed_in"] == "1.25" and pdb["details"]["replacement"] == "policy/v1"
    assert result["counts"].get("CronJob", 0) >= 1
    assert cron["severity"] in ("warning", "blocking") and cron["affected_total"] == result["counts"]["CronJob"]
    assert cron["affected"] and all(a.startswith("CronJob ") for a in cron["affected"])
    assert pdb["affected"] and all(a.startswith("PodDisruptionBudget ") for a in pdb["affected"])


def test_other_cloud_storage_classes_and_lb_annotations_mapped(assessed):
    result, _out, _log = assessed
    classes = result["assessment"]["storage"]["storage_classes"]
    foreign = [c for c in classes if c["cloud"] not in (None, "ctyun") and c["category"] != "local"]
    assert foreign, classes
    for sc in foreign:
        f = [f for f in result["findings"] if f["id"] == "storage-class:%s" % sc["name"]][0]
        assert f["details"]["proposed"] and f["details"]["proposed"] == result["proposal"]["storage_class_map"][
            sc["name"]]
    lb = [f for f in result["findings"] if f["id"].startswith("lb-annotation:")]
    assert lb and all(f["affected"] and f["details"]["cloud"] for f in lb)
    rewrites = result["proposal"]["lb_annotation_rewrites"]
    assert set(f["details"]["key"] for f in lb) <= set(rewrites)
    assert set(f["details"]["key"] for f in lb) <= set(result["proposal"]["override_policy"]["remove_annotations"])
    assert result["assessment"]["services"]["with_cloud_annotations"] >= 1
    assert all(set(r) == {"from", "to"} for r in result["proposal"]["registry_map"])


def test_no_secret_value_anywhere(lab, assessed):
    """Every seeded Secret value (raw and base64) is absent from the result and the three files."""
    result, out, _log = assessed
    seeded = _seed(lab.dir)["secret_values"]
    values = set(seeded) | set(base64.b64encode(v.encode()).decode() for v in seeded)
    assert values, "the lab seeded no secret values to look for"
    texts = {"module stdout": result.stdout, "module stderr": result.stderr}
    for path in out.iterdir():
        texts[path.name] = path.read_text()
    for name, text in texts.items():
        leaked = [v for v in values if v in text]
        assert not leaked, "%s contains secret values" % name


def test_pagination_used_and_read_only(assessed):
    result, _out, log = assessed
    source = [r for r in log if r.get("server") in (None, "source")]
    assert source, "no request of the run reached the lab's source server"
    assert all(r["method"] == "GET" for r in source), sorted(set(r["method"] for r in source))
    def query(r):
        return r.get("query") or (r.get("path", "").split("?", 1)[1] if "?" in r.get("path", "") else "")
    lists = [r for r in source if "limit=%d" % PAGE_SIZE in query(r)]
    continued = [r for r in lists if "continue=" in query(r)]
    assert lists and continued, "expected list pages with limit and continue"
    assert result["requests"]["pages"] > len(set(r["path"].split("?")[0] for r in lists))


def test_idempotent_files_and_check_mode(lab, assessed, tmp_path):
    _result, out, _log = assessed
    again = run_module("cluster_assess", dict(kubeconfig=lab.kubeconfig, context="source", output_dir=str(out),
                                              page_size=PAGE_SIZE))
    assert not again.failed and again["changed"] is False and again["files_changed"] == []
    fresh = tmp_path / "check"
    checked = run_module("cluster_assess", dict(kubeconfig=lab.kubeconfig, context="source",
                                                output_dir=str(fresh)), check=True)
    assert not checked.failed and checked["changed"] is True
    assert sorted(checked["files_changed"]) == sorted(["assessment.json", "assessment.md", "assessment.html"])
    assert not fresh.exists()


def _chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    setup = REPO / "tests/integration/setup_system_deps.sh"
    subprocess.run(["bash", str(setup)], check=False, capture_output=True, timeout=900)
    return shutil.which("chromium")


def test_html_renders_chart_in_headless_chromium(assessed, tmp_path):
    _result, out, _log = assessed
    browser = _chromium()
    if not browser:
        pytest.skip("Debian chromium is not installed and could not be installed (run as root: "
                    "tests/integration/setup_system_deps.sh)")
    shot = tmp_path / "shot.png"
    proc = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", "--no-first-run",
                           "--user-data-dir=%s" % (tmp_path / "profile"), "--window-size=1200,900",
                           "--screenshot=%s" % shot, (out / "assessment.html").as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    assert shot.exists(), proc.stderr[-2000:]
    width, height, rows = read_png(str(shot))
    assert (width, height) == (1200, 900)
    # The chart sits below the heading and the summary cards; both bar colours must be drawn there.
    region = (0, 200, width, height)
    assert count_color(rows, BAR_WORKLOADS, region=region) > 200
    assert count_color(rows, BAR_CPU, region=region) > 200


def test_role_writes_record_and_stops_on_blocking(lab, tmp_path):
    workdir = tmp_path / "migration"
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build" / "dev"))
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(json.dumps({"all": {
        "vars": {"migration_workdir": str(workdir), "source_kubeconfig": lab.kubeconfig, "source_context": "source"},
        "children": {"source": {"hosts": {"source_cluster": {"ansible_connection": "local",
                                                             "ansible_python_interpreter": sys.executable}}}}}}))

    def play(*extra):
        return subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
                               str(REPO / "playbooks/assess.yml"), "-e", "assess_register_source=false"] + list(extra),
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)

    first = play("-e", "assess_allow_blocking=true")
    assert first.returncode == 0, first.stdout[-3000:]
    record = json.loads((workdir / "assess.json").read_text())
    assert record["stage"] == "assess" and record["counts"] and record["proposal"]["storage_class_map"] is not None
    assert (workdir / "assessment" / "assessment.html").exists()
    second = play("-e", "assess_allow_blocking=true")
    assert second.returncode == 0 and "changed=0" in second.stdout, second.stdout[-3000:]
    blocking = record["summary"]["blocking"]
    strict = play()
    if blocking:
        assert strict.returncode != 0 and "blocking problem" in strict.stdout
    else:
        assert strict.returncode == 0


@pytest.fixture(scope="module")
def lab_source(tmp_path_factory):
    """A lab of this module's own, so the source holds exactly the seeded estate and the request log
    holds only this module's calls."""
    try:
        from tests.lab.fixtures import start_lab
    except ImportError:
        pytest.skip("the lab (tests/lab/fixtures.py) is not available")
    with start_lab(tmp_path_factory.mktemp("lab-assess"), LAB_WORKLOADS="30") as handle:
        yield handle


@pytest.mark.parametrize("params,field", [
    (dict(page_size=0), "page_size"),
    (dict(target_version="latest"), "target_version"),
    (dict(storage_class_map_overrides={"alicloud-disk-essd": ""}), "storage_class_map_overrides"),
    (dict(concurrency=100), "concurrency"),
])
def test_bad_input_fails_before_any_request(lab, params, field):
    mark = lab.mark()
    result = run_module("cluster_assess", dict(params, kubeconfig=lab.kubeconfig, context="source"))
    assert result.failed and field in result["msg"]
    assert lab.requests(mark) == []


def test_diff_shows_report_change(lab, tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "assessment.md").write_text("old report\n")
    result = run_module("cluster_assess", dict(kubeconfig=lab.kubeconfig, context="source", output_dir=str(out)),
                        diff=True)
    assert not result.failed and result["changed"]
    assert result["diff"]["before"] == "old report\n"
    assert result["diff"]["after"].startswith("# Source cluster assessment")


def test_injected_faults_give_the_same_counts(lab):
    """429/500/503/connection resets/lost answers on reads are retried; the counts stay exact."""
    seed = _seed(lab.dir)["counts"]
    mark = lab.mark()
    lab.set_knobs(LAB_FAULT_RATE="0.15")
    try:
        result = run_module("cluster_assess", dict(kubeconfig=lab.kubeconfig, context="source", page_size=PAGE_SIZE))
    finally:
        lab.set_knobs(LAB_FAULT_RATE="0")
    assert not result.failed, result.get("msg")
    assert any(r.get("fault") for r in lab.requests(mark)), "no fault was injected"
    assert dict((kind, result["counts"].get(kind)) for kind in seed) == seed


def test_role_registers_source_in_cceone(lab, tmp_path):
    if not (REPO / "roles/federation/tasks/register_source.yml").exists():
        pytest.skip("the federation role's register_source tasks are not present")
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build" / "dev"))
    env.update(lab.env)
    extra = ["-e", "migration_workdir=%s" % (tmp_path / "migration"), "-e", "assess_allow_blocking=true"]

    def play():
        return subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i",
                               str(Path(lab.dir) / "inventory.yml"), str(REPO / "playbooks/assess.yml")] + extra,
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)

    first = play()
    assert first.returncode == 0, first.stdout[-3000:]
    assert "Register the source cluster in CCE One" in first.stdout
    second = play()
    assert second.returncode == 0 and "changed=0" in second.stdout, second.stdout[-3000:]
