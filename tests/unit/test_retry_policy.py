"""The one retry policy and the create-with-lookup helper, without a network and without timing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from urllib3.exceptions import MaxRetryError
from urllib3.response import HTTPResponse

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common import retry
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import (
    ApiError, ConflictError, TransportError, ValidationError)


class Clock:
    def __init__(self):
        self.now = 0.0
        self.waits = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.waits.append(seconds)
        self.now += seconds


def failing(errors, answer="ok"):
    """A send() that raises the given errors in turn, then answers; counts its calls."""
    calls = []

    def send():
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return answer
    return send, calls


def test_backoff_doubles_with_jitter_and_a_ceiling():
    policy = retry.RetryPolicy(backoff_factor=0.3, backoff_max=8.0, jitter=0.3)
    low = [policy.backoff(n, rng=lambda a, b: a) for n in (1, 2, 3, 4, 10)]
    high = [policy.backoff(n, rng=lambda a, b: b) for n in (1, 2, 3, 4, 10)]
    assert low == pytest.approx([0.3, 0.6, 1.2, 2.4, 8.0])
    assert high == pytest.approx([0.6, 0.9, 1.5, 2.7, 8.0])


def test_retry_after_is_honoured_when_longer_and_capped():
    policy = retry.RetryPolicy(jitter=0, max_retry_after=30)
    assert policy.backoff(1, "7") == 7
    assert policy.backoff(1, "3600") == 30
    assert policy.backoff(3, "0") == pytest.approx(1.2)
    assert policy.backoff(1, "not a number") == pytest.approx(0.3)


@pytest.mark.parametrize("method,error,sent", [
    ("GET", ApiError("busy", status=503), 6),
    ("PUT", TransportError("reset"), 6),
    ("DELETE", ApiError("slow down", status=429), 6),
    ("PATCH", ApiError("busy", status=503), 1),     # may have been applied: not replayed
    ("POST", ApiError("busy", status=503), 1),
    ("POST", TransportError("refused", maybe_applied=False), 6),  # never reached the server
    ("GET", ApiError("bad request", status=400), 1),
    ("GET", ConflictError("conflict"), 1),
    ("GET", ValidationError("bad input"), 1),
])
def test_run_sends_at_most_the_policy_attempts(method, error, sent):
    clock = Clock()
    send, calls = failing([error] * 10)
    with pytest.raises(type(error)):
        retry.DEFAULT_POLICY.run(send, method, sleeper=clock.sleep, clock=clock)
    assert len(calls) == sent
    assert len(clock.waits) == sent - 1


def test_run_replays_a_patch_marked_idempotent_and_returns_the_answer():
    clock = Clock()
    send, calls = failing([ApiError("busy", status=503), TransportError("reset")], answer={"ok": 1})
    assert retry.DEFAULT_POLICY.run(send, "PATCH", idempotent=True, sleeper=clock.sleep, clock=clock) == {"ok": 1}
    assert len(calls) == 3


def test_run_does_not_retry_foreign_exceptions():
    send, calls = failing([KeyError("bug")] * 3)
    with pytest.raises(KeyError):
        retry.DEFAULT_POLICY.run(send, "GET", sleeper=lambda s: None)
    assert len(calls) == 1


def test_run_stops_at_the_time_budget():
    clock = Clock()
    policy = retry.RetryPolicy(attempts=50, backoff_factor=1, backoff_max=10, jitter=0, max_total=20)
    send, calls = failing([ApiError("busy", status=503)] * 60)
    with pytest.raises(ApiError):
        policy.run(send, "GET", sleeper=clock.sleep, clock=clock)
    assert clock.now <= 20
    assert len(calls) == 5  # waits 1 + 2 + 4 + 8 = 15; one more (10) would pass 20


def test_create_with_lookup_returns_the_object_a_lost_answer_created():
    clock = Clock()
    send, calls = failing([TransportError("reset")] * 10)
    lookups = []

    def lookup():
        lookups.append(1)
        return {"name": "a"}
    answer, existing = retry.create_with_lookup(send, lookup, sleeper=clock.sleep, clock=clock)
    assert (answer, existing) == (None, {"name": "a"})
    assert len(calls) == 1 and len(lookups) == 1 and clock.waits == []


def test_create_with_lookup_sends_again_only_while_absent_and_bounds_the_requests():
    clock = Clock()
    send, calls = failing([ApiError("busy", status=503)] * 10)
    lookups = []
    with pytest.raises(ApiError):
        retry.create_with_lookup(send, lambda: lookups.append(1), sleeper=clock.sleep, clock=clock)
    assert len(calls) == retry.DEFAULT_POLICY.attempts
    assert len(lookups) == retry.DEFAULT_POLICY.attempts


def test_create_with_lookup_answers_after_a_retry():
    clock = Clock()
    send, calls = failing([ApiError("slow down", status=429, retry_after="2")], answer="created")
    assert retry.create_with_lookup(send, lambda: None, sleeper=clock.sleep, clock=clock) == ("created", None)
    assert len(calls) == 2 and clock.waits[0] >= 2


def test_create_with_lookup_skips_the_lookup_when_nothing_was_sent():
    clock = Clock()
    send, calls = failing([TransportError("refused", maybe_applied=False)], answer="created")
    lookups = []
    assert retry.create_with_lookup(send, lambda: lookups.append(1), sleeper=clock.sleep, clock=clock) == (
        "created", None)
    assert lookups == []


def test_create_with_lookup_conflict_after_a_lost_answer_is_the_earlier_create():
    clock = Clock()
    # the lookup after the reset fails too (server busy), the repeated create meets the object
    send, calls = failing([TransportError("reset"), ConflictError("exists", status=409)])
    seen = iter([ApiError("busy", status=503), {"name": "a"}])

    def lookup():
        item = next(seen)
        if isinstance(item, Exception):
            raise item
        return item
    assert retry.create_with_lookup(send, lookup, sleeper=clock.sleep, clock=clock) == (None, {"name": "a"})
    assert len(calls) == 2


def test_create_with_lookup_conflict_on_the_first_attempt_is_raised():
    send, calls = failing([ConflictError("exists", status=409)])
    with pytest.raises(ConflictError):
        retry.create_with_lookup(send, lambda: {"name": "a"}, sleeper=lambda s: None)
    assert len(calls) == 1


def test_create_with_lookup_raises_client_errors_at_once():
    send, calls = failing([ApiError("invalid", status=422)])
    with pytest.raises(ApiError):
        retry.create_with_lookup(send, lambda: None, sleeper=lambda s: None)
    assert len(calls) == 1


def test_urllib3_retry_counts_retries_not_requests():
    policy = retry.RetryPolicy(attempts=4)
    r = policy.urllib3_retry()
    assert r.total == 3
    assert "POST" not in r.allowed_methods and "PATCH" not in r.allowed_methods


def test_urllib3_retry_stops_once_the_time_budget_is_spent(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(retry, "time", SimpleNamespace(monotonic=clock, time=clock))
    policy = retry.RetryPolicy(attempts=50, backoff_factor=2, backoff_max=10, jitter=0, max_total=20)

    def busy(retry_after=None):
        return HTTPResponse(status=503, headers={"Retry-After": retry_after} if retry_after else {})
    r = policy.urllib3_retry()
    r = r.increment("GET", "/x", response=busy())  # the first failure, at 0 s: the budget ends at 20 s
    clock.now = 18.0
    r = r.increment("GET", "/x", response=busy())
    assert r.get_backoff_time() == 2.0  # 2 * 2 ** 1 = 4 s of backoff, shortened to what is left
    assert r.get_retry_after(busy("10")) == 2.0
    clock.now = 20.0
    assert not r.is_retry("GET", 503)
    with pytest.raises(MaxRetryError):
        r.increment("GET", "/x", error=TimeoutError("no answer"))
    assert r.total == 47  # attempts were left: the budget ended the call


def test_urllib3_retry_budget_is_per_call_not_per_adapter(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(retry, "time", SimpleNamespace(monotonic=clock, time=clock))
    mounted = retry.RetryPolicy(max_total=20).urllib3_retry()
    mounted.increment("GET", "/x", response=HTTPResponse(status=503))
    clock.now = 100.0
    assert mounted.deadline is None and mounted.is_retry("GET", 503)
    assert mounted.increment("GET", "/y", response=HTTPResponse(status=503)).deadline == 120.0
