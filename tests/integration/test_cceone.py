"""CCE One modules against the lab: register, federation instance, fleet binding."""

from __future__ import annotations

import os
import stat

import pytest

from tests.lab.fixtures import start_lab
from tests.utils.modrun import run_module


def auth(lab):
    return dict(access_key=lab.env["CTYUN_ACCESS_KEY"], secret_key=lab.env["CTYUN_SECRET_KEY"],
                region_id=lab.env["CTYUN_REGION_ID"], endpoint=lab.env["CTYUN_ENDPOINT"],
                ca_path=lab.env["CTYUN_CA_BUNDLE"], wait_timeout=60, wait_sleep=1)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with start_lab(tmp_path_factory.mktemp("cceone"), LAB_WORKLOADS="4", LAB_READY_S="0.3",
                   LAB_CCEONE_NEVER_CONNECT="stuck-cluster") as handle:
        yield handle


def test_full_stage_rerun_and_check_mode(lab, tmp_path):
    kc = str(tmp_path / "karmada.kubeconfig")
    steps = [
        ("cceone_cluster", dict(name="aliyun-prod", type="external", kubeconfig=lab.kubeconfig, context="source")),
        ("cceone_cluster", dict(name="cce-target", type="external", kubeconfig=lab.kubeconfig, context="target")),
        ("cceone_federation", dict(name="migration-federation", kubeconfig_path=kc)),
        ("cceone_fleet_bind", dict(name="migration-fleet", federation="migration-federation",
                                   members=["aliyun-prod", "cce-target"], karmada=dict(kubeconfig=kc))),
    ]
    mark = lab.mark()
    for module, params in steps[:1]:
        check = run_module(module, dict(auth(lab), **params), check=True)
        assert not check.failed and check["changed"], check.get("msg")
    assert lab.writes(mark, server="ctyun") == []
    results = []
    for module, params in steps:
        result = run_module(module, dict(auth(lab), **params), diff=True)
        assert not result.failed, (module, result.get("msg"))
        assert result["changed"], module
        results.append(result)
    assert results[0]["cluster"]["status"] == "connected"
    assert stat.S_IMODE(os.stat(kc).st_mode) == 0o600
    assert "token" not in str(results[2])
    members = results[3]["members"]
    assert sorted(m["karmada_name"] for m in members) == ["aliyun-prod", "cce-target"]
    assert all(m["ready"] and m["state"] == "connected" for m in members)
    mark = lab.mark()
    for module, params in steps:
        again = run_module(module, dict(auth(lab), **params))
        assert not again.failed and again["changed"] is False, (module, again.get("msg"))
        check = run_module(module, dict(auth(lab), **params), check=True)
        assert check["changed"] is False
    assert lab.writes(mark, server="ctyun") == []
    second = run_module("cceone_fleet_bind", dict(auth(lab), name="other-fleet", federation="migration-federation",
                                                  members=["aliyun-prod"]))
    assert second.failed and "one fleet per federation instance" in second["msg"]


def test_member_that_never_connects_times_out_naming_it(lab):
    result = run_module("cceone_cluster", dict(auth(lab), name="stuck-cluster", type="external",
                                               kubeconfig=lab.kubeconfig, context="target", wait_timeout=3))
    assert result.failed and "stuck-cluster" in result["msg"] and "pending" in result["msg"]
    # it registered the cluster before the wait failed: the failure says so and returns it
    assert result["changed"] is True and result["cluster"]["name"] == "stuck-cluster", result


def test_bad_input_before_any_call(lab):
    mark = lab.mark()
    no_kc = run_module("cceone_cluster", dict(auth(lab), name="x", type="external"))
    assert no_kc.failed and "kubeconfig" in no_kc["msg"]
    bad_ctx = run_module("cceone_cluster", dict(auth(lab), name="x", kubeconfig=lab.kubeconfig, context="nope"))
    assert bad_ctx.failed and "nope" in bad_ctx["msg"]
    unknown = run_module("cceone_fleet_bind", dict(auth(lab), name="f", federation="migration-federation",
                                                   members=["ghost"]))
    assert unknown.failed and "ghost" in unknown["msg"]
    assert lab.writes(mark, server="ctyun") == []


def test_fleet_bind_is_truthful_about_members_and_partial_writes(lab, tmp_path):
    """Members are checked before the fleet is created; a member update failing after the fleet was
    created returns changed=true and the fleet (issue 17, point 3)."""
    kc = str(tmp_path / "fed2.kubeconfig")
    fed = run_module("cceone_federation", dict(auth(lab), name="second-federation", kubeconfig_path=kc))
    assert not fed.failed, fed.get("msg")
    stuck = run_module("cceone_cluster", dict(auth(lab), name="stuck-cluster", type="external",
                                              kubeconfig=lab.kubeconfig, context="target", wait=False))
    assert not stuck.failed, stuck.get("msg")
    ready = run_module("cceone_cluster", dict(auth(lab), name="aliyun-prod", type="external",
                                              kubeconfig=lab.kubeconfig, context="source"))
    assert not ready.failed, ready.get("msg")
    params = dict(auth(lab), name="second-fleet", federation="second-federation",
                  members=["aliyun-prod", "stuck-cluster"])
    mark = lab.mark()
    for check in (True, False):
        result = run_module("cceone_fleet_bind", params, check=check)
        assert result.failed and result["changed"] is False, (check, result)
        assert "stuck-cluster" in result["msg"] and "not connected" in result["msg"]
    assert lab.writes(mark, server="ctyun") == []

    # the fleet's creation fails: nothing was written, and the result says so (before, changed was
    # set as soon as a write was planned, so this run reported changed=true)
    params["members"] = ["aliyun-prod"]
    with lab.faults(FAULT_METHODS="POST", FAULT_KIND="500"):
        mark = lab.mark()
        refused = run_module("cceone_fleet_bind", params)
    assert refused.failed and refused["changed"] is False, refused
    assert [r for r in lab.writes(mark, server="ctyun") if r["status"] < 400] == []

    with lab.faults(FAULT_METHODS="PUT", FAULT_KIND="500"):
        mark = lab.mark()
        broken = run_module("cceone_fleet_bind", params)
    assert broken.failed and broken["changed"] is True, broken
    assert broken["fleet"]["name"] == "second-fleet" and broken["fleet"]["id"]
    methods = [r["method"] for r in lab.writes(mark, server="ctyun")]
    assert methods[0] == "POST" and "PUT" in methods
    fixed = run_module("cceone_fleet_bind", params)
    assert not fixed.failed and fixed["changed"] is True, fixed.get("msg")
    assert fixed["fleet"]["id"] == broken["fleet"]["id"]
    assert [m["name"] for m in fixed["members"]] == ["aliyun-prod"]
