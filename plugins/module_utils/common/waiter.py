# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Polling with a deadline. Every wait of the collection goes through
:func:`wait_until`, so every timeout says what it waited for and what it saw last."""

from __future__ import annotations

import time

from .errors import WaitTimeoutError


def wait_until(check, timeout, what, sleep=2.0, clock=time.monotonic, sleeper=time.sleep):
    """Call ``check()`` until it returns ``(True, seen)``.

    ``check`` returns a tuple ``(done, seen)``; ``seen`` is a short description
    of the current state, used in the timeout message. Returns the last ``seen``.
    """
    deadline = clock() + timeout
    delay = min(0.2, sleep)
    seen = None
    while True:
        done, seen = check()
        if done:
            return seen
        if clock() >= deadline:
            raise WaitTimeoutError(
                "Timed out after %ss waiting for %s; last seen: %s" % (timeout, what, seen),
                waited_for=what, last_seen=seen, timeout=timeout)
        sleeper(min(delay, max(0.0, deadline - clock())))
        delay = min(sleep, delay * 2)
