# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""CTyun data transfer service (DTS): a migration task from a MySQL/PostgreSQL source to an RDS instance.

ASSUMED API. CTyun publishes no OpenAPI description of the data transfer service that this
collection could follow, so every path, field and status word below is an assumption shared
with the lab's simulation (``tests/lab/ctyunsim/dts.py``); correcting them against the real API
is a change of data, not of the code. The paths are in the same assumptions table as the CCE One
paths (``cceone.DEFAULT_TABLE``, rendered in docs/cceone-api.md).

| What                | Method | Path (assumed)            | Notes                                         |
|---------------------|--------|---------------------------|-----------------------------------------------|
| list tasks by name  | GET    | /v4/dts/task/list         | query taskName, pageNo, pageSize              |
| describe a task     | GET    | /v4/dts/task/describe     | query taskId                                  |
| create a task       | POST   | /v4/dts/task/create       | body below; answers {taskId}                  |
| start a task        | POST   | /v4/dts/task/start        | body {taskId}; starting a running task is ok  |

Task fields (assumed): ``taskId``, ``taskName``, ``status`` (``created``, ``running``, ``failed``,
``stopped``), ``phase`` (``full`` then ``incremental``), ``fullLoad`` {``status`` ``pending`` /
``running`` / ``done``, ``progress`` 0..100}, ``incremental`` {``status`` ``pending`` / ``running``,
``lagSeconds``}, ``source`` {``engine``, ``host``, ``port``, ``username``, ``databases``},
``target`` {``rdsInstanceId``, ``username``, ``databases``}, ``errorMessage``. Passwords are sent on
create only and never read back.
"""

from __future__ import annotations

from ..common.errors import ApiError, ConflictError, NotFoundError, ValidationError, WaitTimeoutError
from ..common.waiter import wait_until
from .cceone import DEFAULT_TABLE

DEFAULT_ENDPOINT = "https://dts-global.ctapi.ctyun.cn"      # assumed
# The paths live in the one table of assumed CTyun API shapes (cceone.DEFAULT_TABLE, docs/cceone-api.md).
TASK_LIST = DEFAULT_TABLE["paths"]["dts_task_list"][1]
TASK_DESCRIBE = DEFAULT_TABLE["paths"]["dts_task_describe"][1]
TASK_CREATE = DEFAULT_TABLE["paths"]["dts_task_create"][1]
TASK_START = DEFAULT_TABLE["paths"]["dts_task_start"][1]
PAGE_SIZE = 50

ENGINES = ("mysql", "postgresql")
DEFAULT_PORTS = {"mysql": 3306, "postgresql": 5432}
MIGRATION_TYPE = "full+incremental"
STATUS_CREATED = "created"
STATUS_RUNNING = "running"
STATUS_FAILED = "failed"
STATUS_STOPPED = "stopped"
FULL_DONE = "done"
INCREMENTAL_RUNNING = "running"

# Fields compared with an existing task; a difference is a conflict (a task cannot be re-pointed).
IMMUTABLE = (("source", "engine"), ("source", "host"), ("source", "port"), ("source", "databases"),
             ("target", "rdsInstanceId"), ("target", "databases"))


def spec_from_params(params):
    """Validated, API-shaped description of the wanted task (passwords included, for create only)."""
    source = params.get("source") or {}
    target = params.get("target") or {}
    name = params.get("name")
    if not name:
        raise ValidationError("name: give the data transfer task a name (it is how the task is found again)",
                              field="name")
    engine = (source.get("engine") or "").lower()
    if engine not in ENGINES:
        raise ValidationError("source.engine: must be one of %s, got %r" % (", ".join(ENGINES), source.get("engine")),
                              field="source.engine")
    for key in ("host", "username"):
        if not source.get(key):
            raise ValidationError("source.%s is required (the %s endpoint to read from)" % (key, engine),
                                  field="source." + key)
    if not target.get("rds_instance_id"):
        raise ValidationError("target.rds_instance_id is required (the CTyun RDS instance to write to)",
                              field="target.rds_instance_id")
    if not target.get("username"):
        raise ValidationError("target.username is required", field="target.username")
    databases = sorted(source.get("databases") or [])
    if not databases:
        raise ValidationError("source.databases: list the databases to migrate", field="source.databases")
    port = int(source.get("port") or DEFAULT_PORTS[engine])
    if not 0 < port < 65536:
        raise ValidationError("source.port: %d is not a TCP port" % port, field="source.port")
    return dict(
        taskName=name,
        migrationType=MIGRATION_TYPE,
        source=dict(engine=engine, host=source["host"], port=port, username=source["username"],
                    password=source.get("password"), databases=databases),
        target=dict(rdsInstanceId=target["rds_instance_id"], username=target["username"],
                    password=target.get("password"), databases=sorted(target.get("databases") or databases)),
    )


def public(spec_or_task):
    """A copy without passwords (for results and diffs)."""
    out = {}
    for key, value in (spec_or_task or {}).items():
        if isinstance(value, dict):
            value = dict((k, v) for k, v in value.items() if k != "password")
        out[key] = value
    return out


def differences(spec, task):
    out = []
    for side, field in IMMUTABLE:
        want = spec[side].get(field)
        have = (task.get(side) or {}).get(field)
        if isinstance(want, list):
            have = sorted(have or [])
        if want != have:
            out.append(dict(field="%s.%s" % (side, field), current=have, wanted=want))
    return out


def summary(task):
    """What a playbook needs from a task."""
    if not task:
        return None
    full = task.get("fullLoad") or {}
    inc = task.get("incremental") or {}
    return dict(id=task.get("taskId"), name=task.get("taskName"), status=task.get("status"), phase=task.get("phase"),
                full_load_status=full.get("status"), full_load_progress=full.get("progress"),
                incremental_status=inc.get("status"), lag_seconds=inc.get("lagSeconds"),
                error=task.get("errorMessage"), source=public({"s": task.get("source") or {}})["s"],
                target=public({"t": task.get("target") or {}})["t"])


def find_by_name(client, name):
    page = 1
    while True:
        obj = client.call("GET", TASK_LIST, query={"taskName": name, "pageNo": page, "pageSize": PAGE_SIZE}) or {}
        items = obj.get("list") or []
        for item in items:
            if item.get("taskName") == name:
                return describe(client, item["taskId"])
        if len(items) < PAGE_SIZE:
            return None
        page += 1


def describe(client, task_id):
    return client.call("GET", TASK_DESCRIBE, query={"taskId": task_id})


def create(client, spec):
    answer, existing = client.create(TASK_CREATE, spec, lookup=lambda: find_by_name(client, spec["taskName"]))
    if existing is not None:
        return existing
    task_id = (answer or {}).get("taskId")
    if not task_id:
        raise ApiError("data transfer create answered without taskId")
    return describe(client, task_id)


def start(client, task_id):
    # Starting is absolute (running is running): safe to replay.
    client.call("POST", TASK_START, body={"taskId": task_id}, idempotent=True)
    return describe(client, task_id)


def replicating(task):
    """Full load done and incremental sync running."""
    full = task.get("fullLoad") or {}
    inc = task.get("incremental") or {}
    return task.get("status") == STATUS_RUNNING and full.get("status") == FULL_DONE and \
        inc.get("status") == INCREMENTAL_RUNNING


def _seen(task):
    s = summary(task)
    return "status=%s phase=%s full_load=%s %s%% incremental=%s lag=%ss" % (
        s["status"], s["phase"], s["full_load_status"], s["full_load_progress"], s["incremental_status"],
        s["lag_seconds"])


def _failed(task):
    if task.get("status") in (STATUS_FAILED, STATUS_STOPPED):
        reason = task.get("errorMessage") or "no reason given"
        raise ConflictError("data transfer task %s is %s: %s" % (task.get("taskName"), task.get("status"), reason),
                            task=summary(task))


def wait_replicating(client, task_id, timeout, sleep=2.0):
    last = {}

    def check():
        task = describe(client, task_id)
        last["task"] = task
        _failed(task)
        return replicating(task), _seen(task)
    wait_until(check, timeout, "data transfer task %s: full load done and incremental sync running" % task_id,
               sleep=sleep)
    return last["task"]


def cutover_ready(task, max_lag_seconds):
    """``(ready, reason)``: replicating with a lag at or below the threshold."""
    if not replicating(task):
        return False, "not replicating yet (%s)" % _seen(task)
    lag = (task.get("incremental") or {}).get("lagSeconds")
    if lag is None:
        return False, "the task reports no lag"
    if lag > max_lag_seconds:
        return False, "lag %ss is above the threshold of %ss" % (lag, max_lag_seconds)
    return True, "lag %ss is within the threshold of %ss" % (lag, max_lag_seconds)


def wait_cutover_ready(client, task_id, max_lag_seconds, timeout, sleep=2.0):
    last = {}

    def check():
        task = describe(client, task_id)
        last["task"] = task
        _failed(task)
        ready, reason = cutover_ready(task, max_lag_seconds)
        return ready, reason
    wait_until(check, timeout, "data transfer task %s to be ready for cutover (lag <= %ss)" % (
        task_id, max_lag_seconds), sleep=sleep)
    return last["task"]


def ensure(mod, client, params):
    """The module's work for states present / started / cutover_ready."""
    state = params["state"]
    if state == "cutover_ready":
        task = find_by_name(client, params["name"])
        if task is None:
            raise NotFoundError("data transfer task %r does not exist; create and start it first (state: started)"
                                % params["name"])
        ready, reason = cutover_ready(task, params["max_lag_seconds"])
        if not ready and params["wait"]:
            try:
                task = wait_cutover_ready(client, task["taskId"], params["max_lag_seconds"], params["wait_timeout"],
                                          sleep=params["wait_sleep"])
                ready, reason = cutover_ready(task, params["max_lag_seconds"])
            except (WaitTimeoutError, ConflictError) as exc:
                reason = exc.msg
        out = dict(task=summary(task), cutover_ready=ready, reason=reason)
        if not ready:
            out["failed_msg"] = "data transfer task %s is not ready for cutover: %s" % (params["name"], reason)
        return out

    spec = spec_from_params(params)
    task = find_by_name(client, spec["taskName"])
    before = summary(task)
    actions = []
    if task is not None:
        diff = differences(spec, task)
        if diff:
            raise ConflictError(
                "data transfer task %s exists with other endpoints (%s); a task cannot be re-pointed: delete it "
                "in the console or choose another name" % (spec["taskName"], ", ".join(
                    "%s: %r -> %r" % (d["field"], d["current"], d["wanted"]) for d in diff)),
                differences=diff)
    else:
        if not spec["source"].get("password") or not spec["target"].get("password"):
            raise ValidationError("source.password and target.password are required to create task %s"
                                  % spec["taskName"], field="source.password")
        actions.append("create")
        if not mod.check_mode:
            task = create(client, spec)
    if state == "started" and (task is None or task.get("status") in (STATUS_CREATED, STATUS_STOPPED)):
        actions.append("start")
        if not mod.check_mode:
            task = start(client, task["taskId"])
    if task is not None and task.get("status") == STATUS_FAILED:
        raise ConflictError("data transfer task %s failed: %s" % (spec["taskName"], task.get("errorMessage")),
                            task=summary(task))
    if state == "started" and params["wait"] and not mod.check_mode:
        task = wait_replicating(client, task["taskId"], params["wait_timeout"], sleep=params["wait_sleep"])
    if actions:
        mod.changed()
        mod.add_diff(before, summary(task) if task else public(spec), header="data transfer task %s" %
                     spec["taskName"])
    result = dict(task=summary(task) if task else None, actions=actions)
    if task is not None:
        result["replicating"] = replicating(task)
        result["lag_seconds"] = (task.get("incremental") or {}).get("lagSeconds")
    return result
