# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Health gates checked before a step counts as done.

* ``ready_ratio``: on every workload, ready replicas on the target divided by
  the replicas planned there (a workload with nothing planned passes);
* ``http``: URLs that must answer the expected status a number of times in a
  row (within ``timeout`` seconds per check);
* ``command``: a user command that must exit 0; it gets the step in the
  environment (``SHIFT_PERCENT``, ``SHIFT_SOURCE``, ``SHIFT_TARGET``).

Each gate returns ``{"gate", "passed", "seen", "workload"?}`` so a failure
says which gate failed, on which workload, with what it saw.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time

from ansible.module_utils.urls import open_url

from ..common.errors import ValidationError

DEFAULT_HTTP = dict(status=200, successes=3, interval=1.0, timeout=60, request_timeout=5,
                    validate_certs=True, method="GET")


def normalise(gates):
    """Validate the ``gates`` option; raise ``ValidationError`` naming the field."""
    gates = dict(gates or {})
    unknown = set(gates) - {"ready_ratio", "http", "command"}
    if unknown:
        raise ValidationError("gates: unknown key(s) %s; use ready_ratio, http, command" % ", ".join(sorted(unknown)))
    ratio = gates.get("ready_ratio", 1.0)
    try:
        ratio = float(ratio)
    except (TypeError, ValueError):
        raise ValidationError("gates.ready_ratio: %r is not a number between 0 and 1" % (ratio,))
    if ratio < 0 or ratio > 1:
        raise ValidationError("gates.ready_ratio: %s is outside 0..1 (1.0 = every planned target replica ready)"
                              % ratio)
    checks = []
    for index, item in enumerate(gates.get("http") or []):
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict) or not item.get("url"):
            raise ValidationError("gates.http[%d]: give a dict with at least 'url'" % index)
        check = dict(DEFAULT_HTTP)
        check.update(item)
        for key in ("status", "successes"):
            check[key] = int(check[key])
        if check["successes"] < 1:
            raise ValidationError("gates.http[%d].successes: must be at least 1" % index)
        checks.append(check)
    command = gates.get("command")
    if command:
        if isinstance(command, (str, list)):
            command = {"cmd": command}
        if not command.get("cmd"):
            raise ValidationError("gates.command: give 'cmd' (a string or a list of arguments)")
        command.setdefault("timeout", 300)
    return dict(ready_ratio=ratio, http=checks, command=command or None)


def ready_ratio_gate(rows, ratio):
    """``rows``: per workload dicts with ``workload``, ``target_replicas`` (planned), ``target_ready``."""
    results = []
    for row in rows:
        planned = int(row.get("target_replicas") or 0)
        ready = int(row.get("target_ready") or 0)
        value = 1.0 if planned == 0 else ready / float(planned)
        results.append(dict(gate="ready_ratio", workload=row["workload"], passed=value >= ratio,
                            seen="%d/%d ready on target (ratio %.2f, need %.2f)" % (ready, planned, value, ratio)))
    return results


def _http_once(check):
    """One request; returns ``(status, None)`` or ``(None, error)`` when nothing answered."""
    try:
        resp = open_url(check["url"], method=check.get("method", "GET"),
                        validate_certs=bool(check.get("validate_certs", True)),
                        timeout=float(check.get("request_timeout", 5)), follow_redirects="none")
        status = resp.getcode()
        resp.close()
        return status, None
    except Exception as exc:  # HTTPError carries the status; anything else is "no answer"
        code = getattr(exc, "code", None)
        if isinstance(code, int):
            return code, None
        return None, str(getattr(exc, "reason", exc))


def http_gate(check, clock=time.monotonic, sleeper=time.sleep, fetch=_http_once):
    """Poll ``check['url']`` until ``successes`` answers in a row have the expected status."""
    deadline = clock() + float(check.get("timeout", 60))
    streak = 0
    seen = []
    while True:
        status, error = fetch(check)
        seen.append(error if status is None else status)
        seen = seen[-10:]
        if status == int(check["status"]):
            streak += 1
            if streak >= int(check["successes"]):
                return dict(gate="http", url=check["url"], passed=True,
                            seen="%d consecutive %s" % (streak, status))
        else:
            streak = 0
        if clock() >= deadline:
            return dict(gate="http", url=check["url"], passed=False,
                        seen="expected %s %d times in a row within %ss; last answers: %s"
                        % (check["status"], check["successes"], check.get("timeout"), seen))
        sleeper(float(check.get("interval", 1.0)))


def command_gate(command, percent, source, target):
    cmd = command["cmd"]
    argv = shlex.split(cmd) if isinstance(cmd, str) else [str(a) for a in cmd]
    env = dict(os.environ, SHIFT_PERCENT=str(percent), SHIFT_SOURCE=source, SHIFT_TARGET=target)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env,
                              timeout=float(command.get("timeout", 300)), check=False)
    except subprocess.TimeoutExpired:
        return dict(gate="command", passed=False, seen="timed out after %ss: %s" % (command.get("timeout"), cmd))
    except OSError as exc:
        return dict(gate="command", passed=False, seen="could not run %s: %s" % (cmd, exc))
    tail = (proc.stdout + proc.stderr).strip()[-300:]
    return dict(gate="command", passed=proc.returncode == 0, seen="rc=%d %s" % (proc.returncode, tail))


def evaluate(gates, rows, percent, source, target):
    """Run every gate for one step. Returns ``(passed, results, first_failure)``."""
    results = ready_ratio_gate(rows, gates["ready_ratio"])
    if all(r["passed"] for r in results):
        for check in gates["http"]:
            results.append(http_gate(check))
            if not results[-1]["passed"]:
                break
    if all(r["passed"] for r in results) and gates.get("command"):
        results.append(command_gate(gates["command"], percent, source, target))
    failed = [r for r in results if not r["passed"]]
    return not failed, results, (failed[0] if failed else None)
