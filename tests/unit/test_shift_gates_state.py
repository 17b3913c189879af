"""Gates and step annotations of the replica shift."""

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import gates, state


def test_normalise_defaults_and_errors():
    g = gates.normalise(None)
    assert g == {"ready_ratio": 1.0, "http": [], "command": None}
    g = gates.normalise({"http": ["http://x/healthz", {"url": "http://y", "status": 204, "successes": 2}],
                         "command": "true", "ready_ratio": 0.5})
    assert g["http"][0]["status"] == 200 and g["http"][0]["successes"] == 3
    assert g["http"][1]["status"] == 204 and g["command"]["cmd"] == "true"
    for bad in ({"ready_ratio": 2}, {"http": [{"status": 200}]}, {"nope": 1}, {"http": [{"url": "u", "successes": 0}]}):
        with pytest.raises(ValidationError):
            gates.normalise(bad)


def test_ready_ratio_gate_names_the_workload():
    rows = [dict(workload="a/web", target_replicas=4, target_ready=4),
            dict(workload="a/api", target_replicas=4, target_ready=3),
            dict(workload="a/none", target_replicas=0, target_ready=0)]
    res = gates.ready_ratio_gate(rows, 1.0)
    assert [r["passed"] for r in res] == [True, False, True]
    assert "3/4" in res[1]["seen"] and res[1]["workload"] == "a/api"


def test_http_gate_counts_consecutive_successes():
    answers = iter([200, 500, 200, 200, 200])
    now = [0.0]
    res = gates.http_gate(dict(url="http://x", status=200, successes=3, interval=1, timeout=100),
                          clock=lambda: now[0], sleeper=lambda s: now.__setitem__(0, now[0] + s),
                          fetch=lambda check: (next(answers), None))
    assert res["passed"] and now[0] == 4.0


def test_http_gate_fails_with_what_it_saw():
    now = [0.0]
    res = gates.http_gate(dict(url="http://x", status=200, successes=2, interval=1, timeout=3),
                          clock=lambda: now[0], sleeper=lambda s: now.__setitem__(0, now[0] + s),
                          fetch=lambda check: (500, None))
    assert not res["passed"] and "500" in res["seen"] and res["url"] == "http://x"


def test_command_gate_gets_the_step():
    ok = gates.command_gate({"cmd": ["sh", "-c", 'test "$SHIFT_PERCENT" = 50 && test "$SHIFT_TARGET" = t']},
                            50, "s", "t")
    assert ok["passed"]
    bad = gates.command_gate({"cmd": "sh -c 'echo broken; exit 3'"}, 50, "s", "t")
    assert not bad["passed"] and "rc=3" in bad["seen"] and "broken" in bad["seen"]


def test_current_step_from_annotation_or_weights():
    assert state.current_step({"metadata": {"annotations": {state.STEP: "50"}}}, "s", "t") == 50
    promoted = {"metadata": {}, "spec": {"placement": {"clusterAffinity": {"clusterNames": ["s"]}}}}
    assert state.current_step(promoted, "s", "t") is None
    weighted = {"metadata": {}, "spec": {"placement": {"replicaScheduling": {
        "replicaSchedulingType": "Divided", "weightPreference": {"staticWeightList": [
            {"targetCluster": {"clusterNames": ["s"]}, "weight": 3},
            {"targetCluster": {"clusterNames": ["t"]}, "weight": 1}]}}}}}
    assert state.current_step(weighted, "s", "t") == 25


def test_annotation_patch_clears_progress():
    patch = state.annotation_patch(step=100, clear_progress=True)
    assert patch == {"metadata": {"annotations": {state.STEP: "100", state.TO: None, state.PHASE: None}}}
