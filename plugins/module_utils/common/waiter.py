# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Polling with a deadline: :func:`wait_until` polls with a delay growing from 0.2 s to ``sleep``
(optionally at most ``polls`` times) and, on timeout, says what it waited for and what it saw last.

The waits of the CTyun and CCE One resources, of replica_shift's steps and of cceone_fleet_bind
go through it. karmada_promote polls adoption in its own loop (the pending set narrowed on every
poll, the delays of :func:`delays` up to 1 s) and reports a timeout in the module's result."""

from __future__ import annotations

import time

from .errors import WaitTimeoutError


def delays(sleep, first=0.2):
    """The delays between polls: ``first`` (at most ``sleep``), doubling up to ``sleep``."""
    delay = min(first, sleep)
    while True:
        yield delay
        delay = min(sleep, delay * 2)


def wait_until(check, timeout, what, sleep=2.0, clock=time.monotonic, sleeper=time.sleep, polls=None):
    """Call ``check()`` until it returns ``(True, seen)``.

    ``check`` returns a tuple ``(done, seen)``; ``seen`` is a short description
    of the current state, used in the timeout message. Returns the last ``seen``.
    ``polls``: at most this many calls of ``check`` (``None``: as many as ``timeout`` allows).
    """
    deadline = clock() + timeout
    seen = None
    for count, delay in enumerate(delays(sleep), 1):
        done, seen = check()
        if done:
            return seen
        if clock() >= deadline:
            raise WaitTimeoutError(
                "Timed out after %ss waiting for %s; last seen: %s" % (timeout, what, seen),
                waited_for=what, last_seen=seen, timeout=timeout)
        if polls is not None and count >= polls:
            raise WaitTimeoutError(
                "Gave up after %d checks waiting for %s; last seen: %s" % (count, what, seen),
                waited_for=what, last_seen=seen, timeout=timeout, polls=polls)
        sleeper(min(delay, max(0.0, deadline - clock())))
