"""Unit tests for the shared pieces in plugins/module_utils/common."""

from __future__ import annotations

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common import arg_spec, errors, retry, waiter


def test_ctyun_spec_marks_secrets_no_log_and_verifies_tls():
    spec = arg_spec.ctyun_auth_argument_spec()
    assert spec["secret_key"]["no_log"] is True
    assert spec["access_key"]["no_log"] is True
    assert spec["validate_certs"]["default"] is True
    assert spec["secret_key"]["fallback"][1] == ["CTYUN_SECRET_KEY"]


def test_specs_are_copies():
    first = arg_spec.k8s_auth_argument_spec()
    first["context"]["default"] = "changed"
    assert "default" not in arg_spec.k8s_auth_argument_spec()["context"]
    assert arg_spec.k8s_auth_argument_spec()["api_key"]["no_log"] is True


@pytest.mark.parametrize(
    "params, missing",
    [
        ({}, ["access_key", "secret_key", "region_id"]),
        ({"access_key": "a", "region_id": "r"}, ["secret_key"]),
        ({"access_key": "a", "secret_key": "s"}, ["region_id"]),
    ],
)
def test_missing_credentials_name_options_and_env_vars(params, missing):
    with pytest.raises(errors.ValidationError) as exc:
        arg_spec.require_ctyun_credentials(params)
    assert exc.value.details["missing"] == missing
    for name in missing:
        assert name in exc.value.msg
    assert "CTYUN_" in exc.value.msg


def test_credentials_present_pass():
    params = {"access_key": "a", "secret_key": "s", "region_id": "r"}
    assert arg_spec.require_ctyun_credentials(params) is params


def test_retry_policy_retries_throttling_and_server_errors_only_for_idempotent_methods():
    policy = retry.DEFAULT_POLICY.urllib3_retry()
    assert set(policy.status_forcelist) == {429, 500, 502, 503, 504}
    assert "POST" not in policy.allowed_methods
    assert "GET" in policy.allowed_methods
    assert policy.respect_retry_after_header is True
    assert policy.total == retry.DEFAULT_POLICY.attempts - 1


def test_retry_after_is_capped():
    class Answer:
        def __init__(self, value):
            self.headers = {"Retry-After": value}

        def getheader(self, name):
            return self.headers.get(name)

    policy = retry.DEFAULT_POLICY.urllib3_retry()
    assert policy.get_retry_after(Answer("3")) == 3
    assert policy.get_retry_after(Answer("3600")) == retry.MAX_RETRY_AFTER


def test_wait_until_returns_when_done():
    states = iter([(False, "creating"), (False, "creating"), (True, "running")])
    ticks = iter(range(100))
    assert waiter.wait_until(lambda: next(states), 60, "cluster running", clock=lambda: next(ticks),
                             sleeper=lambda s: None) == "running"


def test_wait_until_timeout_names_what_and_last_seen():
    ticks = iter(range(0, 1000, 10))
    with pytest.raises(errors.WaitTimeoutError) as exc:
        waiter.wait_until(lambda: (False, "member aliyun: pending"), 30, "fleet members connected",
                          clock=lambda: next(ticks), sleeper=lambda s: None)
    assert "fleet members connected" in exc.value.msg
    assert "member aliyun: pending" in exc.value.msg
    assert exc.value.details["last_seen"] == "member aliyun: pending"


@pytest.mark.parametrize("sleep, first, expected", [
    (2, 0.2, [0.2, 0.4, 0.8, 1.6, 2, 2]),
    (1, 0.2, [0.2, 0.4, 0.8, 1, 1]),
    (0.1, 0.2, [0.1, 0.1, 0.1]),      # never longer than the bound
    (5, 1, [1, 2, 4, 5]),
])
def test_delays_double_up_to_the_bound(sleep, first, expected):
    gen = waiter.delays(sleep, first)
    assert [round(next(gen), 3) for dummy in expected] == expected


def test_wait_until_sleeps_the_growing_delays_but_not_past_the_deadline():
    slept = []
    now = [0.0]

    def sleeper(seconds):
        slept.append(round(seconds, 3))
        now[0] += seconds

    with pytest.raises(errors.WaitTimeoutError):
        waiter.wait_until(lambda: (False, "pending"), 2, "something", sleep=1, clock=lambda: now[0],
                          sleeper=sleeper)
    assert slept == [0.2, 0.4, 0.8, 0.6]


def test_outcome_counts():
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule

    counts = CceMigrationModule.count_outcomes(
        [{"outcome": "promoted"}, {"outcome": "unchanged"}, {"outcome": "promoted"}, {"outcome": "failed"}])
    assert counts["promoted"] == 2 and counts["unchanged"] == 1 and counts["failed"] == 1
    assert counts["total"] == 4


def test_wait_until_gives_up_after_the_polls_allowed():
    checks = []
    with pytest.raises(errors.WaitTimeoutError) as exc:
        waiter.wait_until(lambda: (checks.append(1), (False, "still 3"))[1], 60, "pool at 5",
                          clock=lambda: 0.0, sleeper=lambda s: None, polls=3)
    assert len(checks) == 3
    assert "Gave up after 3 checks waiting for pool at 5; last seen: still 3" in exc.value.msg
