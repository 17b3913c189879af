"""Preflight rules (pure)."""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.preflight import checks


@pytest.mark.parametrize("text, parsed", [
    ("v1.22.17", (1, 22, 17)), ("1.29.3", (1, 29, 3)), ("v1.27.3-eks-a5565ad", (1, 27, 3)), ("v1.30", (1, 30, 0)),
    ("latest", None), (None, None),
])
def test_parse_version(text, parsed):
    assert checks.parse_version(text) == parsed


@pytest.mark.parametrize("source, target, supported, expect", [
    ("v1.22.17", "1.29.3", ["1.27.8", "1.29.3"], []),
    ("v1.30.1", "1.29.3", ["1.29.3"], ["newer than the target"]),
    ("v1.22.17", "1.28.1", ["1.29.3"], ["not offered by CCE"]),
    ("v1.22.17", "one.two", ["1.29.3"], ["not a Kubernetes version"]),
    (None, "1.29.3", None, []),
])
def test_versions(source, target, supported, expect):
    reasons = checks.check_versions(source, target, supported)
    assert len(reasons) == len(expect)
    for reason, word in zip(reasons, expect):
        assert word in reason


def test_quotas_name_quota_and_numbers():
    quotas = {"cluster": {"limit": 5, "used": 5, "available": 0}, "node": {"limit": 50, "used": 10, "available": 40}}
    reasons = checks.check_quotas(quotas, {"cluster": 1, "node": 3})
    assert reasons == [reasons[0]] and "'cluster'" in reasons[0] and "0 available, 1 needed" in reasons[0]
    assert checks.check_quotas(quotas, {"cluster": 0, "node": 40}) == []
    assert "'node'" in checks.check_quotas(quotas, {"node": 41})[0]


def test_credentials_name_env_vars():
    reasons = checks.check_credentials({"access_key": "AK"})
    assert any("CTYUN_SECRET_KEY" in r for r in reasons) and any("CTYUN_REGION_ID" in r for r in reasons)
    assert len(reasons) == 2
