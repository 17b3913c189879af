# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Gates on the traffic itself, checked after the split changed:

* ``healthy``: every target left in the ELB group ``online`` in its health check (waited for);
* ``max_5xx_percent`` over ``window`` seconds: the share of 5xx answers the load balancer counted
  in its realtime monitor (``lbHrsp5xx`` against every ``lbHrsp*`` counter), from the samples
  taken during the window; fewer than ``min_requests`` answers fail the gate (nothing was seen);
* ``http``: the checks of ``replica_shift``'s HTTP gate (``shift/gates.py``), through the public
  entry.

Like the replica gates, each returns ``{"gate", "passed", "seen"}``.
"""

from __future__ import annotations

import time

from ..common.errors import ValidationError
from ..ctyun import elb
from ..shift import gates as http_gates

DEFAULTS = dict(healthy=True, max_5xx_percent=None, window=30, min_requests=1, http=[])


def normalise(gates, backend):
    gates = dict(gates or {})
    unknown = set(gates) - set(DEFAULTS)
    if unknown:
        raise ValidationError("gates: unknown key(s) %s; use %s"
                              % (", ".join(sorted(unknown)), ", ".join(sorted(DEFAULTS))))
    out = dict(DEFAULTS)
    out.update((k, v) for k, v in gates.items() if v is not None)
    if out["max_5xx_percent"] is not None:
        try:
            out["max_5xx_percent"] = float(out["max_5xx_percent"])
        except (TypeError, ValueError):
            raise ValidationError("gates.max_5xx_percent: %r is not a number" % (out["max_5xx_percent"],))
        if not 0 <= out["max_5xx_percent"] <= 100:
            raise ValidationError("gates.max_5xx_percent: %s is outside 0..100" % out["max_5xx_percent"])
        if backend != "ctyun_elb":
            raise ValidationError("gates.max_5xx_percent: the 5xx share is read from the CTyun ELB realtime monitor; "
                                  "with backend %s use gates.http" % backend)
    for key in ("window", "min_requests"):
        try:
            out[key] = int(out[key])
        except (TypeError, ValueError):
            raise ValidationError("gates.%s: %r is not a whole number" % (key, out[key]))
    if out["window"] < 1:
        raise ValidationError("gates.window: give at least 1 second")
    out["http"] = http_gates.normalise({"http": out["http"]})["http"]
    out["healthy"] = bool(out["healthy"]) and backend == "ctyun_elb"
    return out


def error_rate_gate(client, device_id, window, max_percent, min_requests, clock=time.time, sleeper=time.sleep,
                    poll=2.0):
    """Sum the monitor's samples taken in the next ``window`` seconds; pass when the 5xx share
    is at most ``max_percent``."""
    start = clock()
    samples = {}
    while True:
        for at, counters in elb.realtime_counters(client, device_id).items():
            if at >= int(start):
                samples[at] = counters
        if clock() - start >= window:
            break
        sleeper(min(poll, max(0.0, window - (clock() - start))))
    total = sum(sum(c.values()) for c in samples.values())
    errors = sum(c["lbHrsp5xx"] for c in samples.values())
    if total < min_requests:
        return dict(gate="max_5xx_percent", passed=False,
                    seen="%d answer(s) counted by load balancer %s in %ds, fewer than min_requests %d: the gate "
                         "saw no traffic to judge" % (total, device_id, window, min_requests))
    percent = 100.0 * errors / total if total else 0.0
    return dict(gate="max_5xx_percent", passed=percent <= max_percent,
                seen="%d of %d answers were 5xx in %ds (%.2f %%, at most %.2f %% allowed)"
                     % (errors, total, window, percent, max_percent))


def http_checks(checks):
    results = []
    for check in checks:
        results.append(http_gates.http_gate(check))
        if not results[-1]["passed"]:
            break
    return results
