"""Shared option checks of the module base (issue 17, point 4)."""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common import validate
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError

GOOD = ["app=web", "app==web", "tier!=db", "!canary", "environment", "app.kubernetes.io/name=shop",
        "app in (a, b),tier!=db", "x notin (a)", "app=", "a=b,c=d , e", "example.com/team in (x-1,y.2)"]
BAD = ["app in (a", "=web", "-app=x", "app=web shop", "app in ()", "a,,b", "app=-x", "app/x/y=1", "a" * 64 + "=1",
       "app=(x)"]


@pytest.mark.parametrize("text", GOOD)
def test_valid_selectors_pass(text):
    validate.label_selector("label_selector", text)


@pytest.mark.parametrize("text", BAD)
def test_malformed_selectors_fail_naming_the_option(text):
    with pytest.raises(ValidationError) as err:
        validate.label_selector("policy_selector", text)
    assert "policy_selector" in err.value.msg


def test_urls_ranges_and_order():
    validate.url("endpoint", "https://ccse-global.ctapi.ctyun.cn")
    validate.url("host", "http://127.0.0.1:8001", schemes=("https", "http"))
    for bad in ("ccse.example.com", "ftp://x", "https://", "http://x"):
        with pytest.raises(ValidationError, match="endpoint"):
            validate.url("endpoint", bad)
    with pytest.raises(ValidationError, match="wait_sleep"):
        validate.common(dict(wait_timeout=5, wait_sleep=10))
    with pytest.raises(ValidationError, match="concurrency: 0"):
        validate.common(dict(concurrency=0))
    validate.common(dict(wait_timeout=0, wait_sleep=2, concurrency=16, timeout=30, member=dict(host=None)))
    # a database endpoint's host is not a Kubernetes API URL (data_transfer_task's source and target)
    validate.common(dict(source=dict(engine="mysql", host="10.0.3.15", port=3306)))
    with pytest.raises(ValidationError, match="source_cluster.host"):
        validate.common(dict(source_cluster=dict(host="10.0.3.15", kubeconfig=None, api_key=None)))


@pytest.mark.parametrize("check, option, value", [
    (validate.dns_label, "namespaces[0]", "Shop"),
    (validate.dns_label, "namespace", "has.dot"),
    (validate.dns_label, "namespace", "a" * 64),
    (validate.dns_subdomain, "policy_name", "deployments_pp"),
    (validate.dns_subdomain, "name", "-pp"),
    (validate.dns_subdomain, "name", "a" * 254),
    (validate.object_ref, "policies[1]", "shop"),
    (validate.object_ref, "policies[1]", "shop/Web_PP"),
    (validate.object_ref, "policies[1]", "Shop/web-pp"),
])
def test_kubernetes_names_the_api_server_would_refuse(check, option, value):
    with pytest.raises(ValidationError) as err:
        check(option, value)
    assert err.value.msg.startswith(option + ":")


@pytest.mark.parametrize("check, value", [
    (validate.dns_label, "shop-1"), (validate.dns_subdomain, "web.shop-pp"), (validate.dns_subdomain, "a" * 253),
    (validate.object_ref, "shop/migration-pp"), (validate.dns_label, None),
])
def test_kubernetes_names_that_pass(check, value):
    check("option", value)


@pytest.mark.parametrize("module, params, option", [
    ("replica_shift", dict(policies=["shop/Migration_PP"], target_percent=50), "policies[0]"),
    ("replica_shift", dict(policy_selector="", target_percent=50), "namespaces"),
    ("karmada_promote", dict(namespaces=["Shop"], mode="policy", policy_name="pp", cluster="source",
                             member=dict(host="https://127.0.0.1:1")), "namespaces[0]"),
    ("karmada_promote", dict(namespaces=["shop"], mode="policy", policy_name="Migration_PP", cluster="source",
                             member=dict(host="https://127.0.0.1:1")), "policy_name"),
    ("propagation_policy", dict(name="Web_PP", namespace="shop", resource_selectors=[{"kind": "Deployment"}]),
     "name"),
])
def test_bad_names_fail_before_the_first_call(module, params, option):
    """A name Kubernetes would refuse fails naming the option, with no connection made (the server
    counts them). Before, replica_shift sent the policy name to the server, and its namespaces
    check came after a LIST."""
    import socket
    import threading

    from tests.utils.modrun import run_module

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    accepted = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, dummy = server.accept()
            except socket.timeout:
                continue
            accepted.append(1)
            conn.close()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    host = "https://127.0.0.1:%d" % server.getsockname()[1]
    token = "lab-token-0123456789"
    base = dict(host=host, api_key=token)
    if module == "replica_shift":
        base.update(source_member="src", target_member="tgt", source_cluster=dict(host=host, api_key=token),
                    target_cluster=dict(host=host, api_key=token))
    try:
        result = run_module(module, dict(base, **params))
    finally:
        stop.set()
        thread.join(5)
        server.close()
    assert result.failed and result["msg"].startswith(option), result.get("msg")
    assert accepted == []
