#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: traffic_shift
short_description: Set the share of users' requests that reach CCE, by CTyun ELB target weights or HTTPRoute weights
version_added: 1.1.0
description:
  - Moves users' traffic between the source cluster's entry and the CCE cluster's entry to an absolute share,
    O(percent) on CCE. The module reads the split, compares it with the one asked for and writes only the
    differences, so a converged run makes no write and reports C(changed=false).
  - O(backend=ctyun_elb) sets the weights of two targets of one CTyun ELB target group (weighted round robin,
    C(wrr)) - the source's entry (an IP target, reached through the private link of the guide's network
    prerequisite) and CCE's entry. Weights are 1-256 and 0 does not exist, so a side at 0 % leaves the group and
    is added again when the share comes back; between 0 and 100 the weights are C(100-p) and C(p). The writes keep
    the share between the old and the new value at every moment. An add carries a C(clientToken) derived from
    the group's state, so a lost answer never adds a second target.
  - O(backend=gateway_api) sets the C(weight) of two C(backendRefs) of a Gateway API C(HTTPRoute) on the source
    cluster - the source's Service and a Service that reaches CCE's entry. Both stay in the route (weight 0 is
    allowed), so going back is one write; no DNS cache delays it.
  - Weighted DNS and other means stay with the cutover role's C(cutover_traffic_tasks) hook (see C(docs/traffic.md)).
  - After the split changed (and on a converged run too), the gates run - every ELB target online in the group's
    health check, the 5xx share of the load balancer's realtime monitor over a window, HTTP checks through the
    public entry; for an HTTPRoute, every Gateway reporting on it has accepted this generation with its references
    resolved (a route no Gateway reports on passes, and the result says so). A failing gate fails the module; the
    split stays as written and the result says what was seen (the cutover role then moves traffic and replicas
    back).
  - Check mode computes the writes and, for the HTTPRoute, sends the write as a server-side dry run; C(--diff)
    shows the weights before and after.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
options:
  backend:
    description: Where the split is held.
    type: str
    required: true
    choices: [ctyun_elb, gateway_api]
  percent:
    description:
      - Share of requests on CCE, 0 to 100. A share weights 1-256 cannot express exactly gets the closest pair, and
        RV(achieved_percent) says what it gives.
    type: float
    required: true
  target_group_id:
    description: ID of the ELB target group (algorithm C(wrr), with a health check). O(backend=ctyun_elb) only.
    type: str
  source_entry:
    description:
      - The source cluster's entry as an ELB target. O(backend=ctyun_elb) only.
    type: dict
    suboptions:
      ip: {description: "Address of the entry (C(instanceIP)), required for C(IP) targets.", type: str}
      port: {description: "Port of the entry (C(protocolPort)), 1-65535.", type: int, required: true}
      instance_type: {description: C(instanceType) of the target., type: str, default: IP, choices: [IP, VM, BM, ECI]}
      instance_id: {description: C(instanceID) of the target; for an C(IP) target the address when not set., type: str}
  target_entry:
    description: The CCE cluster's entry as an ELB target, with the suboptions of O(source_entry).
    type: dict
    suboptions:
      ip: {description: "Address of the entry (C(instanceIP)), required for C(IP) targets.", type: str}
      port: {description: "Port of the entry (C(protocolPort)), 1-65535.", type: int, required: true}
      instance_type: {description: C(instanceType) of the target., type: str, default: IP, choices: [IP, VM, BM, ECI]}
      instance_id: {description: C(instanceID) of the target; for an C(IP) target the address when not set., type: str}
  load_balancer_id:
    description: ID of the load balancer whose realtime monitor the C(max_5xx_percent) gate of O(gates) reads.
    type: str
  route:
    description: The HTTPRoute on the source cluster. O(backend=gateway_api) only.
    type: dict
    suboptions:
      name: {description: Name of the HTTPRoute., type: str, required: true}
      namespace: {description: Its namespace., type: str, required: true}
      source_service: {description: The source's Service in the route's C(backendRefs)., type: str, required: true}
      target_service:
        description:
          - The Service that reaches CCE's entry (for example of type C(ExternalName)); added to the rules when absent.
        type: str
        required: true
      port: {description: Port of the C(backendRefs) added (the source's backendRef's port when not set)., type: int}
  source:
    description: Access to the source cluster that holds the HTTPRoute. O(backend=gateway_api) only.
    type: dict
  gates:
    description:
      - Gates run after the split is set. C(healthy) (bool, default true, ELB only) waits up to O(wait_timeout) for
        every target of the group to be online; C(max_5xx_percent) (ELB only) with C(window) seconds (default 30) and
        C(min_requests) (default 1) judges the 5xx share the realtime monitor counts; C(http) is a list of checks as
        in M(ctyun.cce_migration.replica_shift).
    type: dict
    default: {}
extends_documentation_fragment:
  - ctyun.cce_migration.ctyun_auth
  - ctyun.cce_migration.k8s_auth.SOURCE
  - ctyun.cce_migration.wait
  - ctyun.cce_migration.attributes
notes:
  - The ELB answers' fields the module reads, and the few that are assumed (an C(IP) target's C(instanceID), what one
    realtime-monitor sample counts), are listed in C(docs/traffic.md).
"""

EXAMPLES = r"""
- name: A quarter of the requests to CCE through the ELB
  ctyun.cce_migration.traffic_shift:
    backend: ctyun_elb
    percent: 25
    target_group_id: tg-0a1b2c3d
    load_balancer_id: lb-0a1b2c3d
    source_entry: {ip: 10.8.0.15, port: 443}
    target_entry: {ip: 192.168.0.20, port: 443}
    gates:
      max_5xx_percent: 1
      window: 60
      http: [{url: "https://shop.example.com/healthz"}]

- name: Half of the requests to CCE through the source's HTTPRoute
  ctyun.cce_migration.traffic_shift:
    backend: gateway_api
    percent: 50
    route: {name: shop, namespace: shop, source_service: web, target_service: web-cce}
    source:
      kubeconfig: "{{ source_kubeconfig }}"
"""

RETURN = r"""
before:
  description: Weights per side before the run (C(null) for a side not in the ELB group).
  returned: always
  type: dict
  sample: {source: 100, target: null}
after:
  description: Weights per side after the run (what check mode would write).
  returned: always
  type: dict
  sample: {source: 75, target: 25}
achieved_percent:
  description: The share on CCE the weights give, which can differ from O(percent) when 1-256 cannot express it.
  returned: always
  type: float
  sample: 25.0
writes:
  description: The writes in the order sent (C(op), C(side), C(weight), C(target_id) for the ELB).
  returned: always
  type: list
  elements: dict
gates:
  description: The gates' results (C(gate), C(passed), C(seen)).
  returned: always
  type: list
  elements: dict
targets:
  description: The ELB group's targets per side after the run (id, weight, health). O(backend=ctyun_elb) only.
  returned: when backend is ctyun_elb
  type: dict
"""

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.arg_spec import (
    ctyun_auth_argument_spec, k8s_auth_suboptions, merge_specs, wait_argument_spec)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import WaitTimeoutError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.waiter import wait_until
from ansible_collections.ctyun.cce_migration.plugins.module_utils.traffic import gates as gates_mod
from ansible_collections.ctyun.cce_migration.plugins.module_utils.traffic import options
from ansible_collections.ctyun.cce_migration.plugins.module_utils.traffic import weights


def run_elb(mod, p, gates):
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.client import CtyunClient
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.elb import elb_endpoint
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.traffic.elb_split import ElbSplit

    client = CtyunClient(dict(p, endpoint=elb_endpoint(p["endpoint"] or options.DEFAULT_ENDPOINT)))
    split = ElbSplit(client, p["target_group_id"], options.endpoints(p), check_mode=mod.check_mode)
    split.check_group()
    found = split.sides()
    before = split.weights_of(found)
    ops = weights.plan(before, weights.elb_weights(p["percent"]))
    after = weights.simulate(before, ops)[-1] if ops else before
    mod.add_diff(before=dict(weights=before), after=dict(weights=after), header="ELB target group %s"
                 % p["target_group_id"])
    try:
        found = split.apply(found, ops)
    finally:
        if split.writes and not mod.check_mode:
            mod.done(writes=split.writes)
    results = []
    if not mod.check_mode:
        if ops:
            found = split.verify(after)
        if gates["healthy"]:
            split.wait_healthy(p["wait_timeout"] if p["wait"] else 0, p["wait_sleep"])
            found = split.sides()
            results.append(dict(gate="healthy", passed=True, seen="every target online"))
        if gates["max_5xx_percent"] is not None:
            results.append(gates_mod.error_rate_gate(client, p["load_balancer_id"], gates["window"],
                                                     gates["max_5xx_percent"], gates["min_requests"]))
    targets = dict((side, dict(id=t["id"], weight=t["weight"], health=t["health"]) if t else None)
                   for side, t in found.items())
    return dict(before=before, after=after, writes=split.writes, changed=bool(ops), gates=results, targets=targets)


def run_route(mod, p, gates):
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.client import auth_params
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.rest import Rest
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.traffic.route_split import RouteSplit

    route = p["route"]
    split = RouteSplit(Rest(auth_params(p, "source"), what="the source cluster"), route["namespace"], route["name"],
                       dict(source=dict(name=route["source_service"], port=route.get("port")),
                            target=dict(name=route["target_service"], port=route.get("port"))),
                       check_mode=mod.check_mode)
    split.read()
    before = split.weights()
    wanted = weights.route_weights(p["percent"])
    write = before is None or not weights.converged(before, wanted)
    mod.add_diff(before=dict(weights=before), after=dict(weights=wanted), header="HTTPRoute %s/%s"
                 % (route["namespace"], route["name"]))
    if write:
        split.apply(wanted)
        if not mod.check_mode:
            mod.done(writes=split.writes)
    results = []
    if not mod.check_mode:
        try:
            seen = wait_until(split.accepted, p["wait_timeout"] if p["wait"] else 0,
                              "the Gateways to accept HTTPRoute %s/%s" % (route["namespace"], route["name"]),
                              sleep=p["wait_sleep"])
            results.append(dict(gate="route_accepted", passed=True, seen=seen))
        except WaitTimeoutError as exc:
            results.append(dict(gate="route_accepted", passed=False, seen=exc.msg))
    return dict(before=before, after=wanted if write else before, writes=split.writes, changed=write, gates=results)


def run(mod):
    p = mod.params
    gates = options.validate(p)
    outcome = (run_elb if p["backend"] == "ctyun_elb" else run_route)(mod, p, gates)
    changed = outcome.pop("changed")
    if changed:
        mod.changed()
    if not mod.check_mode:
        outcome["gates"] += gates_mod.http_checks(gates["http"])
    outcome["achieved_percent"] = weights.share(outcome["after"])
    failed = [g for g in outcome["gates"] if not g["passed"]]
    if failed:
        outcome["failed_msg"] = ("Traffic gate %s failed at %s %% on CCE: %s; the split stays as written (%s)"
                                 % (failed[0]["gate"], p["percent"], failed[0]["seen"], outcome["after"]))
    return outcome


def main():
    endpoint = dict(ip=dict(type="str"), port=dict(type="int", required=True),
                    instance_type=dict(type="str", default="IP", choices=["IP", "VM", "BM", "ECI"]),
                    instance_id=dict(type="str"))
    spec = merge_specs(ctyun_auth_argument_spec(), wait_argument_spec(default_timeout=600), dict(
        backend=dict(type="str", required=True, choices=["ctyun_elb", "gateway_api"]),
        percent=dict(type="float", required=True),
        target_group_id=dict(type="str"),
        source_entry=dict(type="dict", options=endpoint),
        target_entry=dict(type="dict", options=dict(endpoint)),
        load_balancer_id=dict(type="str"),
        route=dict(type="dict", options=dict(
            name=dict(type="str", required=True), namespace=dict(type="str", required=True),
            source_service=dict(type="str", required=True), target_service=dict(type="str", required=True),
            port=dict(type="int"))),
        source=dict(type="dict", options=k8s_auth_suboptions()),
        gates=dict(type="dict", default={}),
    ))
    CceMigrationModule(spec).run(run)


if __name__ == "__main__":
    main()
