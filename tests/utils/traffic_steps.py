"""What the cutover's traffic tests and ``make demo`` share: the lab's ELB settings for
``cutover_traffic``, a traffic hook that writes when each step settled (and sets a fault on
CTyun's entry when asked), the answers counted during each settled step, and a seeded host to
send requests for."""

from __future__ import annotations

import json
from pathlib import Path

from tests.lab.ctyunsim.table import ELB_SEED

PAUSE = 10          # seconds at each settled step: more than 500 requests at 60 requests/s


def traffic_vars(traffic, hook_file, pause=PAUSE, **gates):
    """Extra variables of the cutover role for the lab's ELB; ``traffic`` is env.json's section."""
    return {
        "cutover_traffic": {
            "backend": "ctyun_elb", "target_group_id": ELB_SEED["target_group"],
            "load_balancer_id": ELB_SEED["load_balancer"],
            "source_entry": {"ip": "127.0.0.1", "port": traffic["source_entry"]["port"]},
            "target_entry": {"ip": "127.0.0.1", "port": traffic["target_entry"]["port"]},
            "gates": dict({"max_5xx_percent": 1, "window": 3, "min_requests": 20}, **gates)},
        "cutover_pause": pause,
        "cutover_traffic_tasks": str(hook_file),
        "cutover_wait_timeout": 300,
    }


def hook(directory, traffic):
    """Write the hook task file into ``directory``; returns its paths (``hook``, ``log``, ``fault``).
    The hook records the wall-clock time each step settled in ``log`` and, when ``fault`` exists and
    names the step (``from_percent``), posts its ``hosts`` to CTyun's entry (``/_lab/faults``)."""
    directory = Path(directory)
    log, fault = directory / "settled.jsonl", directory / "fault.json"
    target = traffic["target_entry"]
    path = directory / "traffic-hook.yml"
    path.write_text("""---
- name: Record that the step settled
  ansible.builtin.shell: >-
    printf '{"percent": %%s, "at": %%s}\\n' {{ cutover_traffic_percent | int }} "$(date +%%s.%%N)" >> %(log)s
  changed_when: false
- name: Fault on CTyun's entry from the step the test names
  ansible.builtin.uri:
    url: "http://%(host)s:%(port)d/_lab/faults"
    method: POST
    body_format: json
    body: "{{ lookup('ansible.builtin.file', '%(fault)s') | from_json }}"
  when:
    - lookup('ansible.builtin.fileglob', '%(fault)s') | length > 0
    - cutover_traffic_percent | int == (lookup('ansible.builtin.file', '%(fault)s') | from_json).from_percent
""" % dict(log=log, fault=fault, host=target["host"], port=target["port"]))
    return dict(hook=path, log=log, fault=fault)


def settled(markers):
    if not Path(markers["log"]).exists():
        return []
    return [json.loads(line) for line in Path(markers["log"]).read_text().splitlines() if line.strip()]


def windows(markers, records, since, until, pause=PAUSE):
    """Per step settled between ``since`` and ``until`` (wall clock): the answers recorded while it
    stood, from its marker to the end of the pause after it (the next step starts then), or to
    ``until`` for the last one."""
    marks = [m for m in settled(markers) if since <= m["at"] <= until]
    out = {}
    for index, mark in enumerate(marks):
        end = min(mark["at"] + pause, marks[index + 1]["at"]) if index + 1 < len(marks) else until
        rows = [r for r in records if mark["at"] + 0.5 <= r[0] <= end - 0.5]
        ok = [r for r in rows if r[1] == 200]
        out[mark["percent"]] = dict(total=len(rows), failed=len(rows) - len(ok),
                                    share=100.0 * sum(1 for r in ok if r[2] == "target") / len(ok) if ok else None)
    return out


def pick_host(api_client, namespaces):
    """``<service>.<namespace>.lab`` of the first seeded Deployment with a Service, 2 replicas or
    more and no HPA in ``namespaces`` (``api_client``: the source cluster's)."""
    from kubernetes import client

    apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
    auto = client.AutoscalingV1Api(api_client)
    for ns in namespaces:
        scaled = set(h.spec.scale_target_ref.name for h in auto.list_namespaced_horizontal_pod_autoscaler(ns).items)
        services = set(s.metadata.name for s in core.list_namespaced_service(ns).items)
        for dep in sorted(apps.list_namespaced_deployment(ns).items, key=lambda d: d.metadata.name):
            if dep.metadata.name in services and dep.metadata.name not in scaled and dep.spec.replicas >= 2:
                return "%s.%s.lab" % (dep.metadata.name, ns)
    raise AssertionError("no seeded Deployment with a Service and 2 replicas in %s" % namespaces)
