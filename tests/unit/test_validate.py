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
