"""What the lab tests share to wait and to create: ``until`` polls a check until it returns
something true (bounded in time, saying what it waited for and what it saw last), ``steady``
polls a reading for a stated time and fails at its first change (how a test shows that nothing
happened, instead of a fixed sleep and one look at the end), and
``create_tolerant`` creates an object through the official client, tolerating one an earlier test
of the module left (409) and a real API server's short refusal while a new namespace gets its
default ServiceAccount (403)."""

from __future__ import annotations

import time


def until(check, timeout=60, what="condition", sleep=0.1):
    """Call ``check()`` every ``sleep`` seconds until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(sleep)
    raise AssertionError("%s not met within %ss (last: %r)" % (what, timeout, last))


def steady(read, expected, seconds=1.0, interval=0.1, what="reading"):
    """Call ``read()`` every ``interval`` seconds for ``seconds``; fail at the first reading that is
    not ``expected`` (the first one included). Returns the number of readings taken."""
    deadline = time.monotonic() + seconds
    readings = 0
    while True:
        value = read()
        readings += 1
        if value != expected:
            raise AssertionError("%s changed after %d reading(s): %r, expected %r" % (what, readings, value, expected))
        if time.monotonic() >= deadline:
            return readings
        time.sleep(interval)


def create_tolerant(fn, *args, **kwargs):
    from kubernetes.client.exceptions import ApiException

    deadline = time.monotonic() + 30
    while True:
        try:
            return fn(*args, **kwargs)
        except ApiException as exc:
            if exc.status == 409:
                return None
            if exc.status != 403 or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
