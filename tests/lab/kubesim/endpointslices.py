"""EndpointSlices of a simulated member cluster, as kube-controller-manager's endpointslice
controller writes them.

Followed: ``pkg/controller/endpointslice/endpointslice_controller.go`` (syncService: no slices for
ExternalName Services or Services without a selector; pods of the Service's namespace matching
its selector) and the reconciler of ``staging/src/k8s.io/endpointslice`` (``reconciler.go``,
``utils.go``):

- a pod is an endpoint when it is not terminal (Succeeded/Failed) and has an IP
  (``ShouldPodBeInEndpoints`` with terminating pods included); a pod naming a node that does not
  exist is left out unless the Service publishes not-ready addresses;
- conditions (``podToEndpoint``): ``serving`` = the pod's Ready condition, ``terminating`` =
  ``deletionTimestamp`` set, ``ready`` = ``publishNotReadyAddresses`` or (serving and not
  terminating); ``targetRef``, ``nodeName``, ``zone`` from the node's
  ``topology.kubernetes.io/zone`` label, ``hostname`` when the pod's subdomain is the Service;
- ports from the Service's ports and each pod (``FindPort``: a numeric targetPort as is, a named
  one looked up among the pod's container ports of the same protocol); pods are grouped into
  slices by their set of ports, at most 100 endpoints a slice (``--max-endpoints-per-slice``),
  one slice per address type of the Service;
- slices are named ``<service>-<random>`` (generateName), owned by the Service (controller
  reference), labelled with the Service's labels plus ``kubernetes.io/service-name``,
  ``endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`` and
  ``service.kubernetes.io/headless`` for a headless Service; an existing slice keeps the
  endpoints still wanted, is filled before a new slice is made and is deleted once empty; a
  Service without any endpoint keeps one placeholder slice without ports or endpoints.

Differences, written down in docs/lab.md: the simulation has no scheduler, so a running pod
without ``spec.nodeName`` is an endpoint (the real controller looks its node up and skips it);
the simulation does not default ``podIPs`` from ``podIP`` nor a Service's ``ipFamilies``, which
are read with the API server's defaults here; no ``endpoints.kubernetes.io/last-change-trigger-time``
annotation, no topology hints.
"""

from __future__ import annotations

import ipaddress
import json

from .store import StoreError, clone

SERVICE, POD, NODE = ("", "Service"), ("", "Pod"), ("", "Node")
SLICE = ("discovery.k8s.io", "EndpointSlice")
SLICE_API = "discovery.k8s.io/v1"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"
LABEL_SERVICE_NAME = "kubernetes.io/service-name"
LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
LABEL_HEADLESS = "service.kubernetes.io/headless"
LABEL_ZONE = "topology.kubernetes.io/zone"
RESERVED_LABELS = (LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS)
MAX_ENDPOINTS_PER_SLICE = 100   # kube-controller-manager's --max-endpoints-per-slice default


def attach_endpointslices(ctl):
    """Give a ``Controllers`` an EndpointSlice controller: Services become one of its kinds, and
    pod and node events mark the Services they concern."""
    slices = EndpointSliceController(ctl.store, ctl.mark)
    ctl.handlers[SERVICE] = slices.sync_service
    ctl.store.add_listener(slices.on_event)
    for svc in ctl.store.iter_raw(SERVICE):    # what the store held before the controller started
        slices.on_event("ADDED", svc)
    for pod in ctl.store.iter_raw(POD):
        slices.on_event("ADDED", pod)
    return slices


def pod_is_ready(pod):
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def pod_ips(pod):
    status = pod.get("status") or {}
    ips = [p.get("ip") for p in status.get("podIPs") or [] if p.get("ip")]
    # the API server fills podIPs from podIP; the simulation's pods carry podIP only
    return ips or ([status["podIP"]] if status.get("podIP") else [])


def ip_family(text):
    try:
        return "IPv6" if ipaddress.ip_address(text).version == 6 else "IPv4"
    except ValueError:
        return None


def address_types(svc):
    """``getAddressTypesForService``, with the API server's default of a single-stack IPv4
    cluster for a Service the simulation stored without ``ipFamilies``."""
    spec = svc.get("spec") or {}
    families = [f for f in spec.get("ipFamilies") or [] if f in ("IPv4", "IPv6")]
    if families:
        return families
    cluster_ip = spec.get("clusterIP")
    if cluster_ip and cluster_ip != "None":
        return [ip_family(cluster_ip) or "IPv4"]
    return ["IPv4"]


def find_port(pod, svc_port):
    """``FindPort``: the pod's port for one Service port, or None."""
    target = svc_port.get("targetPort", svc_port.get("port"))
    protocol = svc_port.get("protocol") or "TCP"
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or []) + [
        c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    for container in containers:
        for port in container.get("ports") or []:
            if port.get("name") == target and (port.get("protocol") or "TCP") == protocol:
                return int(port["containerPort"])
    return None


def endpoint_ports(svc, pod):
    spec = svc.get("spec") or {}
    ports = spec.get("ports") or []
    out = []
    for svc_port in ports:
        number = find_port(pod, svc_port)
        if number is None:
            continue
        port = {"name": svc_port.get("name") or "", "port": number, "protocol": svc_port.get("protocol") or "TCP"}
        if svc_port.get("appProtocol"):
            port["appProtocol"] = svc_port["appProtocol"]
        out.append(port)
    return out


def ports_key(ports):
    return json.dumps(sorted(ports, key=lambda p: (p.get("name"), p.get("port"), p.get("protocol"))),
                      sort_keys=True)


def endpoint_key(ep):
    """What identifies an endpoint across syncs (``hashEndpoint``): addresses, hostname, pod."""
    ref = ep.get("targetRef") or {}
    return (tuple(sorted(ep.get("addresses") or [])), ep.get("hostname") or "", ref.get("namespace") or "",
            ref.get("name") or "")


def pod_to_endpoint(pod, node, svc, address_type):
    spec = svc.get("spec") or {}
    serving = pod_is_ready(pod)
    terminating = bool(pod["metadata"].get("deletionTimestamp"))
    ready = bool(spec.get("publishNotReadyAddresses")) or (serving and not terminating)
    addresses = [ip for ip in pod_ips(pod) if ip_family(ip) == address_type]
    ep = {"addresses": addresses, "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
          "targetRef": {"kind": "Pod", "namespace": pod["metadata"]["namespace"], "name": pod["metadata"]["name"],
                        "uid": pod["metadata"]["uid"]}}
    pspec = pod.get("spec") or {}
    if pspec.get("nodeName"):
        ep["nodeName"] = pspec["nodeName"]
    zone = ((node or {}).get("metadata", {}).get("labels") or {}).get(LABEL_ZONE)
    if zone:
        ep["zone"] = zone
    if pspec.get("hostname") and pspec.get("subdomain") == svc["metadata"]["name"]:
        ep["hostname"] = pspec["hostname"]
    return ep


def slice_labels(svc, current=None):
    """``setEndpointSliceLabels``: the Service's labels (reserved keys left out) plus the reserved ones."""
    labels = dict((k, v) for k, v in (svc["metadata"].get("labels") or {}).items() if k not in RESERVED_LABELS)
    cluster_ip = (svc.get("spec") or {}).get("clusterIP")
    if not cluster_ip or cluster_ip == "None":
        labels[LABEL_HEADLESS] = ""
    labels[LABEL_SERVICE_NAME] = svc["metadata"]["name"]
    labels[LABEL_MANAGED_BY] = CONTROLLER_NAME
    return labels


def owned_by(slice_obj, svc):
    return any(ref.get("uid") == svc["metadata"]["uid"] and ref.get("kind") == "Service"
               and ref.get("apiVersion") == "v1" for ref in slice_obj["metadata"].get("ownerReferences") or [])


class EndpointSliceController:
    def __init__(self, store, mark):
        self.store = store
        self.mark = mark
        # indexes kept from the store's events, so that a pod event finds its Services and a
        # Service its pods without scanning a namespace
        self.selectors = {}        # (ns, service) -> selector dict
        self.by_label = {}         # ns -> (key, value) -> {service}: one pair of each selector
        self.pod_labels = {}       # (ns, pod) -> labels
        self.pods_by_label = {}    # ns -> (key, value) -> {pod}
        self.members = {}          # (ns, pod) -> {service} it is an endpoint of
        self.endpoints_of = {}     # (ns, service) -> {pod}, the reverse of members
        self.waiting = {}          # node name -> {(ns, service)} that skipped a pod of that node

    # -- events --------------------------------------------------------------------------
    def on_event(self, etype, obj):
        kind = obj.get("kind")
        if obj.get("apiVersion") != "v1" or kind not in ("Pod", "Service", "Node"):
            return
        meta = obj["metadata"]
        ns = meta.get("namespace", "")
        if kind == "Service":
            self._index_service(ns, meta["name"], None if etype == "DELETED" else service_selector(obj))
            if etype == "DELETED":
                self._remember_members(ns, meta["name"], set())
        elif kind == "Pod":
            labels = meta.get("labels") or {}
            self._index_pod(ns, meta["name"], None if etype == "DELETED" else labels)
            # the Services it was an endpoint of, and those whose selector it matches now
            services = set(self.members.get((ns, meta["name"]), ()))
            index = self.by_label.get(ns, {})
            for pair in labels.items():
                for svc in index.get(pair, ()):
                    selector = self.selectors.get((ns, svc)) or {}
                    if all(labels.get(k) == v for k, v in selector.items()):
                        services.add(svc)
            for svc in services:
                self.mark(SERVICE, ns, svc)
        elif kind == "Node" and etype == "ADDED":
            for svc_ns, svc in self.waiting.pop(meta["name"], ()):
                self.mark(SERVICE, svc_ns, svc)

    def _index_service(self, ns, name, selector):
        old = self.selectors.pop((ns, name), None)
        if old:
            pair = min(old.items())
            self.by_label.get(ns, {}).get(pair, set()).discard(name)
        if selector:
            self.selectors[(ns, name)] = selector
            self.by_label.setdefault(ns, {}).setdefault(min(selector.items()), set()).add(name)

    def _index_pod(self, ns, name, labels):
        old = self.pod_labels.pop((ns, name), None)
        for pair in (old or {}).items():
            self.pods_by_label.get(ns, {}).get(pair, set()).discard(name)
        if labels is not None:
            self.pod_labels[(ns, name)] = dict(labels)
            index = self.pods_by_label.setdefault(ns, {})
            for pair in labels.items():
                index.setdefault(pair, set()).add(name)

    def pods_for(self, ns, selector):
        index = self.pods_by_label.get(ns, {})
        names = None
        for pair in selector.items():
            found = index.get(pair, set())
            names = set(found) if names is None else names & found
            if not names:
                return []
        out = []
        for name in sorted(names or ()):
            pod = self.store.raw(POD, ns, name)
            if pod is not None:
                out.append(pod)
        return out

    # -- sync ------------------------------------------------------------------------------
    def sync_service(self, svc):
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName":
            return
        selector = service_selector(svc)
        if selector is None:
            return
        publish = bool(spec.get("publishNotReadyAddresses"))
        families = address_types(svc)
        existing = [s for s in self.store.iter_raw(SLICE, ns, {LABEL_SERVICE_NAME: name,
                                                               LABEL_MANAGED_BY: CONTROLLER_NAME})
                    if not s["metadata"].get("deletionTimestamp")]
        members = set()
        desired = {}   # address type -> ports key -> (ports, {endpoint key: endpoint})
        for pod in self.pods_for(ns, selector):
            status = pod.get("status") or {}
            if status.get("phase") in ("Succeeded", "Failed") or not pod_ips(pod):
                continue
            node_name = (pod.get("spec") or {}).get("nodeName")
            node = self.store.raw(NODE, "", node_name) if node_name else None
            if node_name and node is None and not publish:
                # "skipping Pod for Service, Node not found": retried when the node appears
                self.waiting.setdefault(node_name, set()).add((ns, name))
                continue
            members.add(pod["metadata"]["name"])
            ports = endpoint_ports(svc, pod)
            key = ports_key(ports)
            for family in families:
                ep = pod_to_endpoint(pod, node, svc, family)
                if ep["addresses"]:
                    desired.setdefault(family, {}).setdefault(key, (ports, {}))[1][endpoint_key(ep)] = ep
        self._remember_members(ns, name, members)
        labels = slice_labels(svc)
        to_delete = [s for s in existing if not owned_by(s, svc) or s.get("addressType") not in families]
        keep = [s for s in existing if s not in to_delete]
        for family in families:
            self._reconcile_family(svc, family, [s for s in keep if s.get("addressType") == family],
                                   desired.get(family, {}), labels, to_delete)
        for old in to_delete:
            try:
                self.store.delete(SLICE_API, "EndpointSlice", ns, old["metadata"]["name"])
            except StoreError:
                pass

    def _remember_members(self, ns, name, members):
        before = self.endpoints_of.pop((ns, name), set())
        for pod in before - members:
            services = self.members.get((ns, pod))
            if services is not None:
                services.discard(name)
                if not services:
                    del self.members[(ns, pod)]
        for pod in members:
            self.members.setdefault((ns, pod), set()).add(name)
        if members:
            self.endpoints_of[(ns, name)] = set(members)

    def _reconcile_family(self, svc, family, existing, desired, labels, to_delete):
        """``reconcileByAddressType`` / ``reconcileByPortMapping`` for one address type."""
        by_ports = {}
        for s in existing:
            by_ports.setdefault(ports_key(s.get("ports") or []), []).append(s)
        creates, updates = [], []
        for key, (ports, wanted) in desired.items():
            wanted = dict(wanted)
            unchanged = []
            for s in by_ports.get(key, []):
                old_eps = s.get("endpoints") or []
                kept, changed = [], False
                for ep in old_eps:
                    want = wanted.pop(endpoint_key(ep), None)
                    if want is not None:
                        kept.append(want)
                        changed = changed or want != ep
                if changed or len(kept) != len(old_eps):
                    if kept:
                        updates.append(dict(s, endpoints=kept))
                    else:
                        to_delete.append(s)
                elif (s["metadata"].get("labels") or {}) != labels:
                    updates.append(dict(s))
                else:
                    unchanged.append(s)
            remaining = [wanted[k] for k in sorted(wanted, key=lambda k: k[3])]
            # fill the slices being updated, fullest first, then one unchanged slice that fits them
            for s in sorted(updates, key=lambda s: -len(s.get("endpoints") or [])):
                if ports_key(s.get("ports") or []) != key:
                    continue
                room = MAX_ENDPOINTS_PER_SLICE - len(s.get("endpoints") or [])
                if room > 0 and remaining:
                    s["endpoints"] = list(s.get("endpoints") or []) + remaining[:room]
                    remaining = remaining[room:]
            while remaining:
                fits = [s for s in unchanged
                        if len(s.get("endpoints") or []) + len(remaining) <= MAX_ENDPOINTS_PER_SLICE]
                if fits and len(remaining) < MAX_ENDPOINTS_PER_SLICE:
                    target = max(fits, key=lambda s: len(s.get("endpoints") or []))
                    unchanged.remove(target)
                    updates.append(dict(target, endpoints=list(target.get("endpoints") or []) + remaining))
                    remaining = []
                    break
                creates.append(self._new_slice(svc, family, ports, remaining[:MAX_ENDPOINTS_PER_SLICE], labels))
                remaining = remaining[MAX_ENDPOINTS_PER_SLICE:]
        for key, slices in by_ports.items():
            if key not in desired:
                to_delete.extend(s for s in slices if s not in to_delete)
        # a Service without endpoints keeps one placeholder slice (no ports, no endpoints)
        survivors = [s for s in existing if s not in to_delete]
        if not survivors and not creates:
            placeholder = [s for s in to_delete if s.get("addressType") == family and owned_by(s, svc)
                           and not s.get("ports") and not s.get("endpoints")]
            if placeholder:
                to_delete.remove(placeholder[0])
                if (placeholder[0]["metadata"].get("labels") or {}) != labels:
                    updates.append(dict(placeholder[0]))
            else:
                creates.append(self._new_slice(svc, family, [], [], labels))
        for s in updates:
            s["metadata"] = dict(s["metadata"], labels=dict(labels))
            self.store.update(s, result=False, given=True)
        for s in creates:
            self.store.create(s, result=False, given=True)

    @staticmethod
    def _new_slice(svc, family, ports, endpoints, labels):
        meta = svc["metadata"]
        return {"apiVersion": SLICE_API, "kind": "EndpointSlice",
                "metadata": {"generateName": "%s-" % meta["name"], "namespace": meta["namespace"],
                             "labels": dict(labels),
                             "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": meta["name"],
                                                  "uid": meta["uid"], "controller": True,
                                                  "blockOwnerDeletion": True}]},
                # empty lists read back as null from a real API server (the placeholder's two)
                "addressType": family, "endpoints": list(endpoints) or None, "ports": clone(ports) or None}


def service_selector(svc):
    """The selector the controller uses, or None (no slices): ExternalName Services and Services
    without a selector (an empty one reads back as none from a real API server)."""
    spec = svc.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return None
    selector = spec.get("selector")
    return dict(selector) if selector else None
