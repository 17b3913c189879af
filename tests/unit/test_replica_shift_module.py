"""replica_shift fails on bad input before any request, naming the field and the fix."""

import pytest

from tests.utils.modrun import run_module

BASE = dict(kubeconfig="/nonexistent/karmada.kubeconfig", source_member="aws", target_member="cce",
            source_cluster=dict(kubeconfig="/nonexistent/source"), target_cluster=dict(kubeconfig="/nonexistent/t"),
            policies=["shop/web-pp"])


@pytest.mark.parametrize("extra,needle", [
    (dict(steps=[0, 120]), "steps: 120 is outside 0..100"),
    (dict(target_percent=-5), "target_percent: -5 is outside 0..100"),
    (dict(), "steps: give steps"),
    (dict(steps=[0, 50], target_percent=50), "mutually exclusive"),
    (dict(target_percent=100, release_from_karmada=True), "release_from_karmada: only with a final step of 0"),
    (dict(target_percent=50, wait=False), "wait: "),
    (dict(target_percent=50, policies=[]), "policies: name the PropagationPolicies"),
    (dict(target_percent=50, target_member="aws"), "target_member: must differ"),
    (dict(target_percent=50, gates={"ready_ratio": 3}), "gates.ready_ratio"),
    (dict(target_percent=50, gates={"http": [{"status": 200}]}), "gates.http[0]"),
])
def test_bad_input_fails_before_any_change(extra, needle):
    params = dict(BASE)
    params.update(extra)
    result = run_module("replica_shift", params)
    assert result.failed
    assert needle in result["msg"], result["msg"]
    assert result.get("changed") in (False, None)
