"""Bad input across the modules: each case fails with a message naming the field, and the
lab's request log shows that nothing was written anywhere (Kubernetes, Karmada, CTyun)."""

from __future__ import annotations

import pytest

from tests.lab.fixtures import start_lab
from tests.utils.modrun import run_module

PLAN = dict(name="cce-bad", kubernetes_version="1.29.3", cluster_series="standard", vpc_id="vpc-1",
            subnet_id="subnet-1", zones=["cn-huadong1-jsnj1A-public-ctcloud"],
            network=dict(plugin="cubecni", pod_subnet_ids=["subnet-pods"], service_cidr="10.96.0.0/16"),
            control_plane=dict(count=3, flavor="s7.xlarge.2"),
            workers=dict(flavor="s7.xlarge.2", count=3, image_id="img-ctyunos2301-ccse"), wait_timeout=30)
CALICO = dict(plugin="calico", pod_cidr="172.16.0.0/16", service_cidr="10.96.0.0/16")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with start_lab(tmp_path_factory.mktemp("bad-inputs"), LAB_KARMADA_MEMBERS="source,target", LAB_WORKLOADS="6",
                   LAB_READY_S="0.3") as handle:
        yield handle


def k8s(lab, context):
    return dict(kubeconfig=lab.kubeconfig, context=context)


def ctyun(lab):
    return dict(access_key=lab.env["CTYUN_ACCESS_KEY"], secret_key=lab.env["CTYUN_SECRET_KEY"],
                region_id=lab.env["CTYUN_REGION_ID"], endpoint=lab.env["CTYUN_ENDPOINT"],
                ca_path=lab.env["CTYUN_CA_BUNDLE"])


def promote(lab, **extra):
    return dict(dict(k8s(lab, "karmada"), cluster="source", member=k8s(lab, "source")), **extra)


def shift(lab, **extra):
    return dict(k8s(lab, "karmada"), source_member="source", target_member="target",
                source_cluster=k8s(lab, "source"), target_cluster=k8s(lab, "target"), **extra)


def pp(lab, **extra):
    return dict(k8s(lab, "karmada"), name="bad-pp", namespace="default",
                resource_selectors=[{"apiVersion": "apps/v1", "kind": "Deployment"}], **extra)


# (id, module, params builder, words the message must contain)
CASES = [
    ("cce-control-plane-2", "cce_cluster", lambda lab: dict(ctyun(lab), **dict(PLAN, control_plane=dict(
        count=2, flavor="s7.xlarge.2"))), ["control_plane.count"]),
    ("cce-overlapping-cidrs", "cce_cluster", lambda lab: dict(ctyun(lab), **dict(PLAN, network=dict(
        CALICO, service_cidr="172.16.8.0/24"))), ["cidr"]),
    ("cce-unknown-version", "cce_cluster", lambda lab: dict(ctyun(lab), **dict(PLAN, kubernetes_version="1.99.1")),
     ["1.99.1"]),
    ("cce-bad-flavor", "cce_cluster", lambda lab: dict(ctyun(lab), **dict(PLAN, workers=dict(
        flavor="huge 999C", count=3, image_id="img-ctyunos2301-ccse"))), ["flavor"]),
    ("cce-cubecni-pod-cidr", "cce_cluster", lambda lab: dict(ctyun(lab), **dict(PLAN, network=dict(
        plugin="cubecni", pod_subnet_ids=["subnet-pods"], pod_cidr="172.16.0.0/16"))), ["pod_cidr", "cubecni"]),
    ("cce-bad-pod-cidr", "cce_cluster", lambda lab: dict(ctyun(lab), **dict(PLAN, network=dict(
        CALICO, pod_cidr="172.16.0.0/99"))), ["pod_cidr"]),
    ("cce-missing-credentials", "cce_cluster", lambda lab: dict(PLAN, endpoint=lab.env["CTYUN_ENDPOINT"]),
     ["CTYUN_ACCESS_KEY"]),
    ("cce-wrong-secret", "cce_cluster", lambda lab: dict(ctyun(lab), secret_key="wrong", **PLAN), ["signature"]),
    ("promote-unknown-member", "karmada_promote", lambda lab: promote(lab, cluster="member9", namespaces=["shop"]),
     ["member9"]),
    ("promote-missing-object", "karmada_promote", lambda lab: promote(lab, resources=[dict(
        kind="Deployment", namespace="shop", name="ghost")]), ["ghost", "not found"]),
    ("promote-unknown-namespace", "karmada_promote", lambda lab: promote(lab, namespaces=["nowhere"]),
     ["nowhere"]),
    ("promote-nothing", "karmada_promote", lambda lab: promote(lab), ["resources"]),
    ("promote-verify-without-wait", "karmada_promote",
     lambda lab: promote(lab, namespaces=["shop"], wait=False, verify_no_restart=True), ["verify_no_restart", "wait"]),
    ("promote-policy-mode-no-name", "karmada_promote", lambda lab: promote(lab, namespaces=["shop"], mode="policy"),
     ["policy_name"]),
    ("promote-unsupported-kind", "karmada_promote", lambda lab: promote(lab, resources=[dict(
        kind="Gadget", namespace="shop", name="x")]), ["Gadget"]),
    ("promote-no-namespace", "karmada_promote", lambda lab: promote(lab, resources=[dict(
        kind="Deployment", name="cart-0")]), ["namespace"]),
    ("promote-concurrency-0", "karmada_promote", lambda lab: promote(lab, namespaces=["shop"], concurrency=0),
     ["concurrency"]),
    ("pp-weight-not-number", "propagation_policy", lambda lab: pp(lab, replica_scheduling="Divided",
                                                                  weights={"source": "lots"}), ["weights.source"]),
    ("pp-weights-without-divided", "propagation_policy", lambda lab: pp(lab, weights={"source": 1}),
     ["Divided"]),
    ("pp-weights-unknown-cluster", "propagation_policy", lambda lab: pp(
        lab, cluster_names=["source"], replica_scheduling="Divided", weights={"elsewhere": 1}), ["elsewhere"]),
    ("pp-invalid-enum", "propagation_policy", lambda lab: dict(k8s(lab, "karmada"), name="x", namespace="default",
                                                               spec={"resourceSelectors": [], "placement": {
                                                                   "replicaScheduling": {
                                                                       "replicaSchedulingType": "Sideways"}}}),
     ["replicaSchedulingType"]),
    ("pp-unknown-field", "propagation_policy", lambda lab: dict(k8s(lab, "karmada"), name="x", namespace="default",
                                                                spec={"resourceSelectors": [], "placment": {}}),
     ["placment"]),
    ("pp-spec-and-options", "propagation_policy", lambda lab: pp(lab, spec={"resourceSelectors": []}),
     ["mutually exclusive"]),
    ("op-no-target", "override_policy", lambda lab: dict(k8s(lab, "karmada"), name="o", namespace="default",
                                                         registry_map=[{"from": "a.example", "to": "b.example"}]),
     ["target_cluster"]),
    ("op-bad-registry-map", "override_policy", lambda lab: dict(k8s(lab, "karmada"), name="o", namespace="default",
                                                                target_cluster="target", registry_map=[{"to": "x"}]),
     ["registry_map[0]"]),
    ("op-nothing", "override_policy", lambda lab: dict(k8s(lab, "karmada"), name="o", namespace="default",
                                                       target_cluster="target"), ["nothing to override"]),
    # Decreasing steps are valid (that is how a rollback is written); no steps at all is not.
    ("shift-no-steps", "replica_shift", lambda lab: shift(lab, policies=["default/x"], steps=[]),
     ["steps", "target_percent"]),
    ("shift-step-over-100", "replica_shift", lambda lab: shift(lab, policies=["default/x"], steps=[0, 150]),
     ["150"]),
    ("shift-missing-policy", "replica_shift", lambda lab: shift(lab, policies=["default/ghost-pp"], steps=[0, 50]),
     ["ghost-pp"]),
    ("image-sync-malformed-ref", "image_sync", lambda lab: dict(images=["UPPER CASE::ref"]), ["images[0]"]),
    ("report-missing-workdir", "migration_report", lambda lab: dict(workdir="/nonexistent/migration"), ["workdir"]),
    ("preflight-wrong-secret", "migration_preflight", lambda lab: dict(ctyun(lab), secret_key="wrong",
                                                                       source=k8s(lab, "source")), ["CTyun"]),
]


@pytest.mark.parametrize("case_id, module, build, words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_fails_clearly_without_writing(lab, case_id, module, build, words):
    mark = lab.mark()
    result = run_module(module, build(lab))
    assert result.failed, "%s did not fail: %s" % (case_id, result)
    msg = result.get("msg", "")
    for word in words:
        assert word.lower() in msg.lower(), "%s: %r not in %r" % (case_id, word, msg)
    assert "Traceback" not in msg
    assert lab.writes(mark) == [], "%s wrote: %s" % (case_id, lab.writes(mark))


# Bad input that needs no call to be seen: the module fails before its first request (reads included).
NO_CALL_CASES = [
    ("ctyun-endpoint-scheme", "cce_cluster", lambda lab: dict(ctyun(lab), **dict(PLAN, endpoint="ftp://ctapi.example")),
     ["endpoint", "https://"]),
    ("ctyun-endpoint-no-scheme", "cceone_cluster", lambda lab: dict(ctyun(lab), endpoint="ctapi.example.com",
                                                                     name="x", type="external",
                                                                     kubeconfig=lab.kubeconfig), ["endpoint"]),
    ("ctyun-timeout-0", "cceone_federation", lambda lab: dict(ctyun(lab), name="f", timeout=0), ["timeout"]),
    ("k8s-host-scheme", "karmada_promote", lambda lab: dict(host="karmada.example:6443", cluster="source",
                                                            namespaces=["shop"], member=k8s(lab, "source")),
     ["host", "https://"]),
    ("k8s-member-host-scheme", "karmada_promote", lambda lab: promote(lab, namespaces=["shop"], member=dict(
        host="tcp://10.0.0.1:6443")), ["member.host"]),
    ("promote-selector-unbalanced", "karmada_promote", lambda lab: promote(lab, namespaces=["shop"],
                                                                           label_selector="tier in (web,api"),
     ["label_selector", "parentheses"]),
    ("promote-selector-bad-key", "karmada_promote", lambda lab: promote(lab, namespaces=["shop"],
                                                                        label_selector="-app=web"),
     ["label_selector", "-app"]),
    ("promote-selector-bad-value", "karmada_promote", lambda lab: promote(lab, namespaces=["shop"],
                                                                          label_selector="app=web shop"),
     ["label_selector"]),
    ("promote-selector-empty-set", "karmada_promote", lambda lab: promote(lab, namespaces=["shop"],
                                                                          label_selector="app in ()"),
     ["label_selector", "at least one value"]),
    ("promote-concurrency-too-high", "karmada_promote", lambda lab: promote(lab, namespaces=["shop"],
                                                                            concurrency=100000), ["concurrency"]),
    ("shift-selector-bad", "replica_shift", lambda lab: shift(lab, policy_selector="team==", steps=[0, 50]),
     ["policy_selector"]),
    ("shift-wait-sleep-over-timeout", "replica_shift", lambda lab: shift(lab, policies=["default/x"], steps=[0, 50],
                                                                         wait_timeout=5, wait_sleep=60),
     ["wait_sleep", "wait_timeout"]),
    ("shift-negative-timeout", "replica_shift", lambda lab: shift(lab, policies=["default/x"], steps=[0, 50],
                                                                  wait_timeout=-1), ["wait_timeout"]),
    ("fleet-no-members", "cceone_fleet_bind", lambda lab: dict(ctyun(lab), name="f", federation="x", members=[]),
     ["members"]),
    ("fleet-duplicate-members", "cceone_fleet_bind", lambda lab: dict(ctyun(lab), name="f", federation="x",
                                                                      members=["a", "b", "a"]), ["members", "a"]),
    ("fleet-karmada-host-scheme", "cceone_fleet_bind", lambda lab: dict(ctyun(lab), name="f", federation="x",
                                                                        members=["a"],
                                                                        karmada=dict(host="karmada:443")),
     ["karmada.host"]),
    ("cceone-wait-sleep-0", "cceone_cluster", lambda lab: dict(ctyun(lab), name="x", type="external",
                                                               kubeconfig=lab.kubeconfig, wait_sleep=0),
     ["wait_sleep"]),
]


@pytest.mark.parametrize("case_id, module, build, words", NO_CALL_CASES, ids=[c[0] for c in NO_CALL_CASES])
def test_bad_input_fails_before_the_first_call(lab, case_id, module, build, words):
    mark = lab.mark()
    result = run_module(module, build(lab))
    assert result.failed, "%s did not fail: %s" % (case_id, result)
    msg = result.get("msg", "")
    for word in words:
        assert word.lower() in msg.lower(), "%s: %r not in %r" % (case_id, word, msg)
    assert result["changed"] is False and "Traceback" not in msg
    assert lab.requests(mark) == [], "%s made requests: %s" % (case_id, lab.requests(mark))


def test_there_are_at_least_30_cases():
    assert len(CASES) >= 30 and len(set(c[1] for c in CASES)) >= 7
