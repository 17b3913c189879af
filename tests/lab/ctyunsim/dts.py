"""Data transfer service (DTS) routes of the CTyun simulation.

Paths, fields and status words are the ASSUMED ones of the collection's table
(plugins/module_utils/ctyun/dts.py); keep both in step. State lives in ``sim.state["dts"]``.

Life of a task: ``created`` -> start -> ``running``/``full`` (progress climbs) -> after
``LAB_DTS_FULL_S`` seconds the full load is ``done`` and the incremental sync ``running`` with a lag
of ``LAB_DTS_INITIAL_LAG_S`` -> after ``LAB_DTS_CATCHUP_S`` more seconds the lag settles at
``LAB_DTS_STEADY_LAG_S``. ``LAB_DTS_FAIL`` (a task name) makes that task fail during the full load.
"""

from __future__ import annotations

import copy

PATHS = {
    "dts_task_list": ("GET", "/v4/dts/task/list"),
    "dts_task_describe": ("GET", "/v4/dts/task/describe"),
    "dts_task_create": ("POST", "/v4/dts/task/create"),
    "dts_task_start": ("POST", "/v4/dts/task/start"),
}
ENGINES = ("mysql", "postgresql")
KNOB_FULL_S = ("LAB_DTS_FULL_S", 1.0)
KNOB_INITIAL_LAG_S = ("LAB_DTS_INITIAL_LAG_S", 120)
KNOB_CATCHUP_S = ("LAB_DTS_CATCHUP_S", 1.0)
KNOB_STEADY_LAG_S = ("LAB_DTS_STEADY_LAG_S", 1)
KNOB_FAIL = ("LAB_DTS_FAIL", "")
ERRORS = {
    "not_found": (404, "DTS_TASK_NOT_FOUND"),
    "name_exists": (200, "DTS_TASK_NAME_EXISTS"),
    "bad_request": (400, "DTS_PARAMETER_INVALID"),
}


def _state(sim) -> dict:
    return sim.state.setdefault("dts", {"tasks": {}})


def _error(kind, message):
    from . import SimError
    status, code = ERRORS[kind]
    return SimError(code, message, status=status)


def _public(task) -> dict:
    out = copy.deepcopy(task)
    for side in ("source", "target"):
        out[side].pop("password", None)
    out.pop("region", None)
    return out


def _get(sim, request, task_id):
    task = _state(sim)["tasks"].get(task_id)
    if task is None or task["region"] != sim.region(request):
        raise _error("not_found", f"data transfer task {task_id} not found")
    return task


async def task_list(sim, request, body):
    name = request.query.get("taskName")
    page = max(1, int(request.query.get("pageNo", 1)))
    size = max(1, min(100, int(request.query.get("pageSize", 10))))
    tasks = [t for t in _state(sim)["tasks"].values()
             if t["region"] == sim.region(request) and (not name or t["taskName"] == name)]
    tasks.sort(key=lambda t: t["taskId"])
    chunk = tasks[(page - 1) * size:page * size]
    return {"list": [{"taskId": t["taskId"], "taskName": t["taskName"], "status": t["status"]} for t in chunk],
            "total": len(tasks)}


async def task_describe(sim, request, body):
    task_id = request.query.get("taskId")
    if not task_id:
        raise _error("bad_request", "taskId is required")
    return _public(_get(sim, request, task_id))


def _check_body(body):
    if not isinstance(body, dict):
        raise _error("bad_request", "body must be an object")
    for key in ("taskName", "source", "target"):
        if not body.get(key):
            raise _error("bad_request", f"{key} is required")
    src, dst = body["source"], body["target"]
    if src.get("engine") not in ENGINES:
        raise _error("bad_request", f"source.engine must be one of {', '.join(ENGINES)}")
    for key in ("host", "port", "username", "password", "databases"):
        if not src.get(key):
            raise _error("bad_request", f"source.{key} is required")
    for key in ("rdsInstanceId", "username", "password"):
        if not dst.get(key):
            raise _error("bad_request", f"target.{key} is required")
    if body.get("migrationType", "full+incremental") != "full+incremental":
        raise _error("bad_request", "migrationType must be full+incremental")


async def task_create(sim, request, body):
    _check_body(body)
    tasks = _state(sim)["tasks"]
    region = sim.region(request)
    if any(t["taskName"] == body["taskName"] and t["region"] == region for t in tasks.values()):
        raise _error("name_exists", f"a data transfer task named {body['taskName']} exists")
    task_id = sim.new_id("dts")
    tasks[task_id] = {
        "taskId": task_id, "taskName": body["taskName"], "region": region, "status": "created", "phase": None,
        "migrationType": "full+incremental", "createdAt": sim.iso_now(),
        "source": dict(body["source"], databases=sorted(body["source"]["databases"])),
        "target": dict(body["target"], databases=sorted(body["target"].get("databases")
                                                        or body["source"]["databases"])),
        "fullLoad": {"status": "pending", "progress": 0},
        "incremental": {"status": "pending", "lagSeconds": None},
        "errorMessage": None,
    }
    return {"taskId": task_id}


async def task_start(sim, request, body):
    task_id = (body or {}).get("taskId")
    if not task_id:
        raise _error("bad_request", "taskId is required")
    task = _get(sim, request, task_id)
    if task["status"] == "running":
        return {"taskId": task_id}
    if task["status"] == "failed":
        raise _error("bad_request", f"task {task_id} failed and cannot be started")
    task.update(status="running", phase="full")
    task["fullLoad"].update(status="running", progress=10)
    full_s = sim.knob(*KNOB_FULL_S)

    def halfway():
        if task["status"] == "running" and task["phase"] == "full":
            task["fullLoad"]["progress"] = 50
            if sim.knob(*KNOB_FAIL) == task["taskName"]:
                task.update(status="failed", errorMessage="source connection lost during full load (lab)")

    def full_done():
        if task["status"] != "running":
            return
        task["phase"] = "incremental"
        task["fullLoad"].update(status="done", progress=100)
        task["incremental"].update(status="running", lagSeconds=sim.knob(*KNOB_INITIAL_LAG_S))
        sim.after(sim.knob(*KNOB_CATCHUP_S), caught_up)

    def caught_up():
        if task["status"] == "running":
            task["incremental"]["lagSeconds"] = sim.knob(*KNOB_STEADY_LAG_S)

    sim.after(full_s / 2, halfway)
    sim.after(full_s, full_done)
    return {"taskId": task_id}


HANDLERS = {
    "dts_task_list": task_list,
    "dts_task_describe": task_describe,
    "dts_task_create": task_create,
    "dts_task_start": task_start,
}


def register(sim) -> None:
    for name, (method, path) in PATHS.items():
        sim.route(method, path, HANDLERS[name], name=name)
