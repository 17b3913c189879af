# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The traffic split held by a Gateway API ``HTTPRoute`` on the source cluster: the weights of
two ``backendRefs``, the source's own Service and a Service that reaches CCE's entry.

Gateway API (``gateway.networking.k8s.io/v1``, HTTPBackendRef ``weight``): "the proportion of
requests forwarded to the referenced backend ... computed as weight/(sum of all weights in this
BackendRefs list)"; 0 sends nothing, the default is 1. Both backendRefs therefore stay in the rule
and a side at 0 % keeps weight 0. Every rule of the route that sends to one of the two Services
is set; the other rules are left as they are. The whole ``spec.rules`` list is written with the
``resourceVersion`` read (a merge patch replaces a list whole), so a concurrent edit of the route
fails the write instead of being lost.
"""

from __future__ import annotations

import copy

from ..common.errors import ApiError, CceMigrationError, ValidationError
from ..k8s.rest import path_for
from . import weights as weights_mod


def _is_service(ref, name, namespace, route_namespace):
    return (ref.get("name") == name and (ref.get("kind") or "Service") == "Service"
            and (ref.get("group") or "") == "" and (ref.get("namespace") or route_namespace) == namespace)


class RouteSplit(object):
    def __init__(self, rest, namespace, name, services, check_mode=False):
        self.rest = rest
        self.namespace = namespace
        self.name = name
        self.services = services  # {"source": {"name", "port"?}, "target": {"name", "port"?}}
        self.check_mode = check_mode
        self.route = None
        self.writes = []

    @property
    def path(self):
        return path_for("HTTPRoute", self.namespace, self.name)

    def read(self):
        route = self.rest.get(self.path, missing_ok=True)
        if route is None:
            raise ValidationError("route: HTTPRoute %s/%s does not exist on the source cluster; create it with a "
                                  "backendRef to %s first (docs/traffic.md)"
                                  % (self.namespace, self.name, self.services["source"]["name"]))
        self.route = route
        if not self._rule_indexes(route):
            raise ValidationError("route.source_service: no rule of HTTPRoute %s/%s sends to Service %s"
                                  % (self.namespace, self.name, self.services["source"]["name"]))
        return route

    def _rule_indexes(self, route):
        out = []
        for index, rule in enumerate((route.get("spec") or {}).get("rules") or []):
            if any(self._side(ref) for ref in rule.get("backendRefs") or []):
                out.append(index)
        return out

    def _side(self, ref):
        for side in weights_mod.SIDES:
            if _is_service(ref, self.services[side]["name"], self.namespace, self.namespace):
                return side
        return None

    def weights(self):
        """``{side: weight}`` shared by every rule concerned, or ``None`` when the rules differ or a
        rule holds another backend (the split is not the collection's yet)."""
        seen = set()
        for index in self._rule_indexes(self.route):
            got = dict((s, 0) for s in weights_mod.SIDES)
            for ref in self.route["spec"]["rules"][index].get("backendRefs") or []:
                side = self._side(ref)
                if side is None:
                    return None
                got[side] = int(ref.get("weight", 1))
            seen.add((got["source"], got["target"]))
        if len(seen) != 1:
            return None
        src, tgt = seen.pop()
        return {"source": src, "target": tgt}

    def desired_rules(self, wanted):
        rules = copy.deepcopy(self.route["spec"]["rules"])
        for index in self._rule_indexes(self.route):
            refs = rules[index].get("backendRefs") or []
            strangers = [r.get("name") for r in refs if self._side(r) is None]
            if strangers:
                raise CceMigrationError("HTTPRoute %s/%s rule %d also sends to %s: the split asked for would be "
                                        "wrong; move that backend to another rule"
                                        % (self.namespace, self.name, index, ", ".join(strangers)))
            by_side = dict((self._side(r), r) for r in refs)
            template = by_side.get("source") or by_side.get("target")
            out = []
            for side in weights_mod.SIDES:
                ref = dict(by_side.get(side) or {"name": self.services[side]["name"]})
                port = self.services[side].get("port") or ref.get("port") or template.get("port")
                if port:
                    ref["port"] = int(port)
                ref["weight"] = int(wanted[side])
                out.append(ref)
            rules[index]["backendRefs"] = out
        return rules

    def apply(self, wanted):
        """Write the rules with ``wanted`` weights (server dry run in check mode)."""
        patch = {"metadata": {"resourceVersion": self.route["metadata"].get("resourceVersion")},
                 "spec": {"rules": self.desired_rules(wanted)}}
        try:
            answer = self.rest.merge_patch(self.path, patch, dry_run=self.check_mode)
        except ApiError as exc:
            if exc.status != 409:
                raise
            # a replay of a write that went through (its answer lost) conflicts with itself: read
            # the route again; anything but the split asked for is another writer's change
            self.read()
            if self.weights() != dict(wanted):
                raise CceMigrationError("HTTPRoute %s/%s changed while the split was written (%s); run again"
                                        % (self.namespace, self.name, exc.msg))
            answer = self.route
        self.writes.append(dict(op="update", route="%s/%s" % (self.namespace, self.name),
                                weights=dict(wanted), dry_run=self.check_mode))
        if not self.check_mode:
            self.route = answer
        return answer

    def accepted(self):
        """``(done, seen)`` for the route as written: every Gateway that reports on it
        (``status.parents``) has seen this generation and says ``Accepted`` and ``ResolvedRefs``
        True. Gateway API: a backendRef that cannot be resolved gets its share of requests answered
        with 500 (HTTPBackendRef, apis/v1/httproute_types.go), so an unresolved Service (an
        ExternalName a Gateway does not support) is a failed split. A route no Gateway reports on
        passes and says so."""
        route = self.rest.get(self.path)
        generation = (route.get("metadata") or {}).get("generation")
        parents = ((route.get("status") or {}).get("parents")) or []
        if not parents:
            return True, "no Gateway reports a status for HTTPRoute %s/%s" % (self.namespace, self.name)
        waiting = []
        for parent in parents:
            ref = (parent.get("parentRef") or {}).get("name", "?")
            conditions = dict((c.get("type"), c) for c in parent.get("conditions") or [])
            for kind in ("Accepted", "ResolvedRefs"):
                cond = conditions.get(kind) or {}
                stale = generation is not None and cond.get("observedGeneration") is not None \
                    and int(cond["observedGeneration"]) < int(generation)
                if stale or cond.get("status") != "True":
                    waiting.append("%s: %s %s%s" % (ref, kind, cond.get("status", "not reported"),
                                                    " (%s)" % cond.get("message") if cond.get("message") else ""))
        return not waiting, "; ".join(waiting) or "accepted by %d Gateway(s)" % len(parents)
