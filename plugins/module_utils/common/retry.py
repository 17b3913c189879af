# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The one retry policy of the collection, and the one create-with-lookup helper.

Every HTTP client of the collection (CTyun OpenAPI, Kubernetes API, registries) retries
through a :class:`RetryPolicy`, in exactly one place per call: either the loop of
:meth:`RetryPolicy.run` (Kubernetes, creates everywhere) or a urllib3 ``Retry`` built by
:meth:`RetryPolicy.urllib3_retry` and mounted on a ``requests`` adapter, never both.

The policy (:data:`DEFAULT_POLICY`):

* ``attempts``: requests sent for one call, the first included (6);
* backoff before attempt ``n + 1``: ``backoff_factor * 2 ** (n - 1)`` plus a uniform jitter of
  up to ``jitter`` seconds, at most ``backoff_max`` (0.3 s, 0.6 s, 1.2 s ... 8 s), as urllib3 2
  computes it;
* ``Retry-After`` is honoured when longer than the backoff, capped at ``max_retry_after``;
* ``max_total``: the time budget of one call (120 s): no attempt starts later than this many
  seconds after the first one (in a urllib3 ``Retry``: after the first failure, the earliest
  moment urllib3 lets a ``Retry`` see; the wait before an attempt is shortened to fit);
* which failures: no answer at all (connection refused or reset, timeout) and the statuses in
  ``statuses`` (429, 500, 502, 503, 504). Every other answer is final;
* which methods: ``methods`` (GET, HEAD, OPTIONS, PUT, DELETE) may be replayed after any of
  those failures; other methods (POST, PATCH) only when the request certainly never reached
  the server (``maybe_applied`` false: connection refused). A PATCH that sets absolute
  values is marked ``idempotent=True`` by its caller.

A create is never replayed blindly: :func:`create_with_lookup` looks the object up by name
after every failed attempt and sends the create again only when the object is absent.

Errors handed to the policy follow one protocol, met by :class:`~.errors.ApiError` and
:class:`~.errors.TransportError`: ``status`` (the HTTP status of the answer), for errors
without an answer a ``maybe_applied`` attribute (see :class:`~.errors.TransportError`), and
``details["retry_after"]`` (the ``Retry-After`` header's value). Errors of other types
(programming errors, bad input) are never retried.
"""

from __future__ import annotations

import email.utils
import random
import time

try:
    from urllib3.exceptions import MaxRetryError
    from urllib3.util.retry import Retry
    HAS_URLLIB3 = True
except ImportError:  # pragma: no cover - urllib3 comes with requests
    MaxRetryError = Exception
    Retry = object
    HAS_URLLIB3 = False

RETRY_STATUS = frozenset([429, 500, 502, 503, 504])
IDEMPOTENT_METHODS = frozenset(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
# Retry-After values above this are capped, so one answer cannot stall a run.
MAX_RETRY_AFTER = 30.0


def parse_retry_after(value):
    """Seconds to wait from a ``Retry-After`` value (seconds or an HTTP date); ``None`` if unusable."""
    if value is None or value == "":
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    try:
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def exception_reason(exc, limit=200):
    """The innermost cause of a ``requests``/urllib3 exception, shortly: its type and message, no
    headers and no credentials (what the collection's transport errors quote)."""
    inner = exc
    for _depth in range(6):
        nxt = getattr(inner, "reason", None)
        if not isinstance(nxt, BaseException) and inner.args and isinstance(inner.args[0], BaseException):
            nxt = inner.args[0]
        if not isinstance(nxt, BaseException) or nxt is inner:
            break
        inner = nxt
    return "%s: %s" % (type(inner).__name__, str(inner)[:limit])


def status_of(exc):
    """HTTP status of an error (``None`` when there is none)."""
    status = getattr(exc, "status", None)
    if status is None:
        status = (getattr(exc, "details", None) or {}).get("status")
    return status


def no_answer(exc):
    """Whether ``exc`` says that no HTTP answer came back (a transport error)."""
    return hasattr(exc, "maybe_applied") and status_of(exc) is None


def retry_after_of(exc):
    details = getattr(exc, "details", None) or {}
    return details.get("retry_after", getattr(exc, "retry_after", None))


def maybe_applied(exc):
    """False only when the failed request certainly never reached the server."""
    return bool(getattr(exc, "maybe_applied", True))


class RetryPolicy(object):
    """Attempts, backoff with jitter, ``Retry-After``, time budget, failures and methods retried."""

    def __init__(self, attempts=6, backoff_factor=0.3, backoff_max=8.0, jitter=0.3,
                 max_retry_after=MAX_RETRY_AFTER, max_total=120.0, statuses=RETRY_STATUS,
                 methods=IDEMPOTENT_METHODS):
        if int(attempts) < 1:
            raise ValueError("attempts must be at least 1")
        self.attempts = int(attempts)
        self.backoff_factor = float(backoff_factor)
        self.backoff_max = float(backoff_max)
        self.jitter = float(jitter)
        self.max_retry_after = float(max_retry_after)
        self.max_total = float(max_total)
        self.statuses = frozenset(statuses)
        self.methods = frozenset(m.upper() for m in methods)

    def replace(self, **changes):
        """A copy with some settings changed (``policy.replace(attempts=1)``)."""
        values = dict(attempts=self.attempts, backoff_factor=self.backoff_factor, backoff_max=self.backoff_max,
                      jitter=self.jitter, max_retry_after=self.max_retry_after, max_total=self.max_total,
                      statuses=self.statuses, methods=self.methods)
        values.update(changes)
        return RetryPolicy(**values)

    def __repr__(self):
        return ("RetryPolicy(attempts=%d, backoff_factor=%s, backoff_max=%s, jitter=%s, max_retry_after=%s, "
                "max_total=%s)" % (self.attempts, self.backoff_factor, self.backoff_max, self.jitter,
                                   self.max_retry_after, self.max_total))

    # -- decisions ---------------------------------------------------------
    def replayable(self, method, idempotent=None):
        """Whether ``method`` may be sent again after a failure that may have reached the server."""
        if idempotent is not None:
            return bool(idempotent)
        return (method or "").upper() in self.methods

    def retryable(self, exc):
        """Whether the failure ``exc`` is one the policy retries (no answer, or a listed status)."""
        return no_answer(exc) or status_of(exc) in self.statuses

    def backoff(self, failures, retry_after=None, rng=random.uniform):
        """Seconds to wait after ``failures`` failed attempts (1 for the first)."""
        delay = self.backoff_factor * (2 ** max(0, failures - 1))
        if self.jitter > 0:
            delay += rng(0, self.jitter)
        delay = min(self.backoff_max, delay)
        wanted = parse_retry_after(retry_after)
        if wanted is not None:
            delay = max(delay, min(wanted, self.max_retry_after))
        return delay

    # -- the loop ----------------------------------------------------------
    def run(self, send, method="GET", idempotent=None, sleeper=time.sleep, clock=time.monotonic, log=None,
            what=None):
        """Call ``send()`` until it returns, at most ``attempts`` times; re-raise the last error.

        An error is retried when :meth:`retryable` and either the call is replayable or the
        request never reached the server. Errors without ``status``/``maybe_applied`` (not of
        the collection's types) are not retried.
        """
        replay = self.replayable(method, idempotent)
        start = clock()
        failures = 0
        while True:
            try:
                return send()
            except Exception as exc:
                if not _is_collection_error(exc) or not self.retryable(exc):
                    raise
                if not replay and maybe_applied(exc):
                    raise
                failures += 1
                if failures >= self.attempts:
                    raise
                delay = self.backoff(failures, retry_after_of(exc))
                if clock() + delay - start > self.max_total:
                    raise
                if log:
                    log("%s: attempt %d failed (%s); again in %.1fs" % (what or method, failures, exc, delay))
                sleeper(delay)

    # -- urllib3 ----------------------------------------------------------
    def urllib3_retry(self, methods=None, connect_only=False):
        """A urllib3 ``Retry`` with this policy for a ``requests`` adapter.

        ``total`` is ``attempts - 1`` (urllib3 counts retries, not requests). Status retries
        are limited to ``methods`` (default: the policy's); connection errors before the
        request was sent are retried for every method, as urllib3 does. ``connect_only``:
        nothing but those (for calls whose caller retries them whole). Every call gets the
        policy's time budget ``max_total``, counted from its first failure.
        """
        retries = self.attempts - 1
        kwargs = dict(
            total=retries,
            connect=retries,
            read=0 if connect_only else retries,
            status=0 if connect_only else retries,
            other=0 if connect_only else retries,
            backoff_factor=self.backoff_factor,
            status_forcelist=[] if connect_only else sorted(self.statuses),
            allowed_methods=sorted(self.methods if methods is None else methods),
            respect_retry_after_header=True,
            raise_on_status=False,
            raise_on_redirect=False,
        )
        # urllib3 >= 2 takes jitter and a backoff ceiling as constructor arguments (and carries
        # them over in Retry.new()); urllib3 1.26 has a class-wide ceiling and no jitter.
        native = hasattr(Retry(), "backoff_jitter")
        if native:
            kwargs["backoff_jitter"] = self.jitter
            kwargs["backoff_max"] = self.backoff_max
        retry = CappedRetry(**kwargs)
        retry.max_retry_after = self.max_retry_after
        retry.max_total = self.max_total
        if not native:
            retry.policy_jitter = self.jitter
            retry.policy_backoff_max = self.backoff_max
        return retry


def _is_collection_error(exc):
    # Import here: errors.py has no dependency on this module, and the check must not
    # retry arbitrary programming errors.
    from .errors import CceMigrationError
    return isinstance(exc, CceMigrationError)


class CappedRetry(Retry):
    """urllib3 Retry with the policy's caps: ``Retry-After`` at most ``max_retry_after``, and a
    time budget of ``max_total`` seconds per call.

    The budget starts at the first failure of a call (``deadline`` is set on the ``Retry`` that
    ``increment`` returns; the instance mounted on an adapter is never changed, so one adapter
    serves many calls). Once it is spent no further attempt is made: a failed answer is handed
    back as it is, a failure without an answer ends in ``MaxRetryError``. The wait before an
    attempt never reaches past the deadline.
    """

    max_retry_after = MAX_RETRY_AFTER
    max_total = RetryPolicy().max_total
    deadline = None
    # Set only on urllib3 1.26, which has neither jitter nor a per-instance backoff ceiling.
    policy_jitter = None
    policy_backoff_max = None

    def new(self, **kw):
        retry = super().new(**kw)
        retry.max_retry_after = self.max_retry_after
        retry.max_total = self.max_total
        retry.deadline = self.deadline
        retry.policy_jitter = self.policy_jitter
        retry.policy_backoff_max = self.policy_backoff_max
        return retry

    def remaining(self):
        """Seconds left of the call's time budget (all of it before the first failure)."""
        if self.deadline is None:
            return self.max_total
        return self.deadline - time.monotonic()

    def is_retry(self, method, status_code, has_retry_after=False):
        if self.remaining() <= 0:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if self.remaining() <= 0:
            raise MaxRetryError(_pool, url, error)
        retry = super().increment(method=method, url=url, response=response, error=error, _pool=_pool,
                                  _stacktrace=_stacktrace)
        if retry.deadline is None:
            retry.deadline = time.monotonic() + self.max_total
        return retry

    def get_backoff_time(self):
        delay = super().get_backoff_time()
        if self.policy_jitter is not None and delay > 0:
            delay = min(self.policy_backoff_max, delay + random.uniform(0, self.policy_jitter))
        return max(0.0, min(delay, self.remaining()))

    def get_retry_after(self, response):
        value = super().get_retry_after(response)
        if value is None:
            return None
        return max(0.0, min(value, self.max_retry_after, self.remaining()))


DEFAULT_POLICY = RetryPolicy()


def create_with_lookup(send, lookup, policy=None, sleeper=time.sleep, clock=time.monotonic, log=None,
                       what="create"):
    """Send a create that must take effect at most once.

    ``send()`` sends the create and returns its answer or raises; ``lookup()`` returns the
    object when it exists, else ``None`` (it should not retry by itself; a lookup that fails
    with a retryable error counts as "not known" and the next create decides).

    Returns ``(answer, None)`` when a create answered, or ``(None, existing)`` when an attempt
    got no usable answer (no answer, 429, 5xx) and ``lookup()`` found the object, or when a
    repeated create was refused as a conflict (status 409) because an earlier attempt had
    taken effect after all. Only when the object is absent is the create sent again, after the
    policy's backoff, at most ``policy.attempts`` times in all and within ``policy.max_total``.
    Any other error is raised at once (a 409 on the first attempt too: the object existed
    before this call).
    """
    policy = policy or DEFAULT_POLICY
    start = clock()
    failures = 0
    while True:
        try:
            return send(), None
        except Exception as exc:
            if not _is_collection_error(exc):
                raise
            status = status_of(exc)
            if status == 409 and failures:
                existing = _lookup(lookup, policy)
                if existing is not None:
                    if log:
                        log("%s: an earlier attempt took effect although its answer was lost" % what)
                    return None, existing
                raise
            if not policy.retryable(exc):
                raise
            failures += 1
            if maybe_applied(exc):
                existing = _lookup(lookup, policy)
                if existing is not None:
                    if log:
                        log("%s: the create took effect although its answer was lost" % what)
                    return None, existing
            if failures >= policy.attempts:
                raise
            delay = policy.backoff(failures, retry_after_of(exc))
            if clock() + delay - start > policy.max_total:
                raise
            if log:
                log("%s: attempt %d failed (%s); the object is absent, again in %.1fs" % (what, failures, exc, delay))
            sleeper(delay)


def _lookup(lookup, policy):
    try:
        return lookup()
    except Exception as exc:
        if _is_collection_error(exc) and policy.retryable(exc):
            return None
        raise
