"""Workload controllers of a simulated member cluster.

What matters for "no restart" is kept exact: a Deployment gets a new ReplicaSet (so new
pods) only when ``spec.template`` changes (pod-template-hash); scaling changes pod counts
only; metadata-only changes touch no pod; pods keep their UID and creationTimestamp and
become Ready after ``LAB_READY_S``; rollouts honour maxSurge/maxUnavailable.
StatefulSets follow the real controller's order (``sync_statefulset``); DaemonSet, Job and
CronJob keep plausible status.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import math
import traceback

from .endpointslices import attach_endpointslices
from .store import StoreError, clone, match_label_selector, now_iso

APPS = "apps/v1"
DEPLOY, RS, STS, DS, POD = ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet"), \
    ("apps", "DaemonSet"), ("", "Pod")
JOB, CRONJOB = ("batch", "Job"), ("batch", "CronJob")
HPA = ("autoscaling", "HorizontalPodAutoscaler")
PVC, PV, SC = ("", "PersistentVolumeClaim"), ("", "PersistentVolume"), ("storage.k8s.io", "StorageClass")
# the stand-in provisioner of the lab: classes with this provisioner (CTyun's, on the target)
# get a volume per claim, as a CSI external-provisioner would
LAB_PROVISIONERS = ("ebs.csi.ctyun.cn",)
REVISION = "deployment.kubernetes.io/revision"


def template_hash(template):
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]


def resolve(value, total, round_up):
    if value is None:
        value = "25%"
    if isinstance(value, str) and value.endswith("%"):
        pct = int(value[:-1]) * total / 100.0
        return int(math.ceil(pct) if round_up else math.floor(pct))
    return int(value)


def owner_ref(obj):
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def pod_ordinal(set_name, pod):
    """getOrdinal: the number after the set's name and a dash in the pod's name, else None."""
    prefix, _, number = pod["metadata"]["name"].rpartition("-")
    if prefix != set_name or not number.isdigit():
        return None
    return int(number)


def pod_running_and_ready(pod):
    """isRunningAndReady (stateful_set_utils.go): phase Running and the Ready condition True."""
    return (pod.get("status") or {}).get("phase") == "Running" and pod_ready(pod)


def ready_since(pod):
    """Seconds since the Ready condition turned True (for minReadySeconds), or None."""
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready" and cond.get("status") == "True" and cond.get("lastTransitionTime"):
            stamp = dt.datetime.strptime(cond["lastTransitionTime"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=dt.timezone.utc)
            return (dt.datetime.now(dt.timezone.utc) - stamp).total_seconds()
    return None


def pod_ready(pod):
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


class Controllers:
    """Event-driven reconcilers for one cluster's store; keys are coalesced per owner."""

    def __init__(self, store, ready_s=1.0, nodes=lambda: []):
        self.store = store
        self.ready_s = ready_s
        self.dirty = {}
        self.wake = asyncio.Event()
        store.add_listener(self.on_event)
        self.handlers = {DEPLOY: self.sync_deployment, RS: self.sync_replicaset, STS: self.sync_statefulset,
                         DS: self.sync_daemonset, JOB: self.sync_job, PVC: self.sync_claim, HPA: self.sync_hpa}
        attach_endpointslices(self)   # Services -> EndpointSlices (endpointslices.py)
        # graceful pod deletion (store.GRACEFUL): the store removes a terminating pod later
        store.later = lambda seconds, callback: asyncio.get_event_loop().call_later(seconds, callback)

    def mark(self, gk, ns, name):
        self.dirty[(gk, ns, name)] = True
        self.wake.set()

    def on_event(self, etype, obj):
        gk = (obj["apiVersion"].rpartition("/")[0] if "/" in obj["apiVersion"] else "", obj["kind"])
        meta = obj["metadata"]
        ns = meta.get("namespace", "")
        if gk in self.handlers and etype != "DELETED":
            self.mark(gk, ns, meta["name"])
        if gk in (DEPLOY, STS) and etype != "DELETED":
            for hpa in self.store.iter_raw(HPA, ns):
                ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
                if ref.get("kind") == obj["kind"] and ref.get("name") == meta["name"]:
                    self.mark(HPA, ns, hpa["metadata"]["name"])
        for ref in meta.get("ownerReferences") or []:
            if ref.get("controller"):
                ogk = (ref["apiVersion"].rpartition("/")[0] if "/" in ref["apiVersion"] else "", ref["kind"])
                if ogk in self.handlers:
                    self.mark(ogk, ns, ref["name"])

    async def run(self):
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.dirty:
                batch = list(self.dirty)
                self.dirty.clear()
                for gk, ns, name in batch:
                    obj = self.store.raw(gk, ns, name)
                    if obj is None or obj["metadata"].get("deletionTimestamp"):
                        continue
                    try:
                        self.handlers[gk](clone(obj))
                    except StoreError:
                        self.mark(gk, ns, name)   # conflict with a concurrent write: retry
                    except Exception:  # keep the control loop alive; the lab log shows the bug
                        traceback.print_exc()
                await asyncio.sleep(0)

    # -- pods ---------------------------------------------------------------
    def children(self, gk, owner):
        return list(self.store.owned(gk, owner["metadata"]["namespace"], owner["metadata"]["uid"]))

    def create_pod(self, owner, template, name=None, extra_labels=None, node=None):
        meta = clone(template.get("metadata") or {})
        meta["labels"] = dict(meta.get("labels") or {}, **(extra_labels or {}))
        meta["namespace"] = owner["metadata"]["namespace"]
        if name:
            meta["name"] = name
        else:
            meta["generateName"] = owner["metadata"]["name"] + "-"
        meta["ownerReferences"] = [owner_ref(owner)]
        spec = clone(template.get("spec") or {})
        if node:
            spec["nodeName"] = node
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
               "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}]}}
        created = self.store.create(pod)
        loop = asyncio.get_event_loop()
        loop.call_later(self.ready_s, self.make_ready, created["metadata"]["namespace"], created["metadata"]["name"],
                        created["metadata"]["uid"], owner["kind"] == "Job")
        return created

    def make_ready(self, ns, name, uid, completes=False):
        pod = self.store.raw(POD, ns, name)
        if pod is None or pod["metadata"]["uid"] != uid:
            return
        pod = clone(pod)
        now = now_iso()
        containers = (pod.get("spec") or {}).get("containers") or []
        if completes:
            pod["status"] = {"phase": "Succeeded", "conditions": [{"type": "Ready", "status": "False"}],
                             "startTime": now}
        else:
            pod["status"] = {"phase": "Running", "startTime": now, "podIP": "10.%d.%d.%d" % (
                self.store.rng.randrange(256), self.store.rng.randrange(256), self.store.rng.randrange(1, 255)),
                "conditions": [{"type": t, "status": "True", "lastTransitionTime": now}
                               for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
                "containerStatuses": [{"name": c.get("name"), "image": c.get("image"), "ready": True,
                                       "imageID": "%s@sha256:%s" % (c.get("image", "").split(":")[0], hashlib.sha256(
                                           c.get("image", "").encode()).hexdigest()),
                                       "containerID": "containerd://%s" % hashlib.sha256(
                                           (uid + c.get("name", "")).encode()).hexdigest(),
                                       "restartCount": 0, "started": True,
                                       "state": {"running": {"startedAt": now}}} for c in containers]}
        try:
            self.store.update_status(pod, result=False)
        except StoreError:
            pass

    def delete_pods(self, pods):
        for pod in pods:
            try:
                self.store.delete("v1", "Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
            except StoreError:
                pass

    @staticmethod
    def pick_to_delete(pods, count):
        # not-ready first, then newest first (like the ReplicaSet controller's ranking)
        ranked = sorted(pods, key=lambda p: (pod_ready(p), [-ord(c) for c in p["metadata"]["creationTimestamp"]],
                                             p["metadata"]["name"]))
        return ranked[:count]

    # -- volumes: the PV controller's binding, and a stand-in provisioner ----------------
    def sync_claim(self, pvc):
        """A claim naming a volume is Bound when that volume exists, else Pending (Kubernetes'
        pv_controller syncBoundClaim/syncUnboundClaim); an unbound claim of a class whose
        provisioner is the lab's gets a new volume (dynamic provisioning) and binds to it. Other
        claims are left as they are (the seeds' claims keep their given status)."""
        spec = pvc.get("spec") or {}
        meta = pvc["metadata"]
        if spec.get("volumeName"):
            pv = self.store.raw(PV, "", spec["volumeName"])
            ann = meta.get("annotations") or {}
            if pv is not None and ann.get("pv.kubernetes.io/bind-completed") != "yes":
                # bindClaimToVolume: the claim is marked bound (annBindCompleted), then its status
                new = clone(pvc)
                new["metadata"]["annotations"] = dict(ann, **{"pv.kubernetes.io/bind-completed": "yes"})
                self.store.update(new, result=False)
                return
            phase = "Bound" if pv is not None else ("Lost" if (pvc.get("status") or {}).get("phase") == "Bound"
                                                     else "Pending")
            self.set_status(pvc, dict(pvc.get("status") or {}, phase=phase))
            return
        sc = self.store.raw(SC, "", spec.get("storageClassName") or "")
        if sc is None or sc.get("provisioner") not in LAB_PROVISIONERS:
            return
        name = "pvc-%s" % meta["uid"]
        if self.store.raw(PV, "", name) is None:
            self.store.create({
                "apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": name, "annotations": {"pv.kubernetes.io/provisioned-by": sc["provisioner"]}},
                "spec": {"capacity": {"storage": ((spec.get("resources") or {}).get("requests") or {}).get(
                    "storage", "1Gi")}, "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                    "storageClassName": sc["metadata"]["name"], "persistentVolumeReclaimPolicy": "Delete",
                    "csi": {"driver": sc["provisioner"], "volumeHandle": name},
                    "claimRef": {"kind": "PersistentVolumeClaim", "namespace": meta["namespace"],
                                 "name": meta["name"], "uid": meta["uid"]}},
                "status": {"phase": "Bound"}})
        bound = clone(pvc)
        bound["spec"]["volumeName"] = name
        bound["metadata"].setdefault("annotations", {}).update({
            "pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes",
            "volume.kubernetes.io/storage-provisioner": sc["provisioner"]})
        self.store.update(bound, result=False)   # comes back as an event; the volume exists, so it becomes Bound

    def set_status(self, obj, status):
        if obj.get("status") != status:
            obj["status"] = status
            self.store.update_status(obj, result=False)

    # -- ReplicaSet ---------------------------------------------------------------
    def sync_replicaset(self, rs):
        pods = [p for p in self.children(POD, rs) if not p["metadata"].get("deletionTimestamp")]
        want = int(rs["spec"].get("replicas", 1))
        if len(pods) < want:
            for _ in range(want - len(pods)):
                pods.append(self.create_pod(rs, rs["spec"]["template"]))
        elif len(pods) > want:
            victims = self.pick_to_delete(pods, len(pods) - want)
            self.delete_pods(victims)
            names = set(v["metadata"]["name"] for v in victims)
            pods = [p for p in pods if p["metadata"]["name"] not in names]
        ready = sum(1 for p in pods if pod_ready(p))
        status = {"replicas": len(pods), "fullyLabeledReplicas": len(pods), "readyReplicas": ready,
                  "availableReplicas": ready, "observedGeneration": rs["metadata"].get("generation", 1)}
        self.set_status(rs, status)

    # -- Deployment ------------------------------------------------------------------
    def sync_deployment(self, dep):
        spec = dep["spec"]
        ns = dep["metadata"]["namespace"]
        desired = int(spec.get("replicas", 1))
        template = spec["template"]
        phash = template_hash(template)
        rss = self.children(RS, dep)
        new_rs = next((r for r in rss if r["metadata"].get("labels", {}).get("pod-template-hash") == phash), None)
        olds = [r for r in rss if r is not new_rs]
        revision = max([int(r["metadata"].get("annotations", {}).get(REVISION, "0")) for r in rss] + [0])
        if new_rs is None:
            tmpl = clone(template)
            tmpl.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = phash
            sel = clone(spec.get("selector") or {})
            sel.setdefault("matchLabels", {})["pod-template-hash"] = phash
            initial = desired if not olds else 0
            new_rs = self.store.create({
                "apiVersion": APPS, "kind": "ReplicaSet",
                "metadata": {"name": "%s-%s" % (dep["metadata"]["name"], phash), "namespace": ns,
                             "labels": dict((template.get("metadata") or {}).get("labels") or {},
                                            **{"pod-template-hash": phash}),
                             "annotations": {REVISION: str(revision + 1)},
                             "ownerReferences": [owner_ref(dep)]},
                "spec": {"replicas": initial, "selector": sel, "template": tmpl}})
            revision += 1
        strategy = spec.get("strategy") or {}
        paused = spec.get("paused")
        if not paused:
            if strategy.get("type") == "Recreate":
                for old in olds:
                    self.scale_rs(old, 0)
                if all(not self.children(POD, o) for o in olds):
                    self.scale_rs(new_rs, desired)
            elif not olds:
                self.scale_rs(new_rs, desired)
            else:
                ru = strategy.get("rollingUpdate") or {}
                surge = resolve(ru.get("maxSurge"), desired, True)
                unavail = resolve(ru.get("maxUnavailable"), desired, False)
                if surge == 0 and unavail == 0:
                    unavail = 1
                self.rolling(new_rs, olds, desired, surge, unavail)
        # status
        rss = self.children(RS, dep)
        # status.replicas: the ReplicaSets' active pods (FilterActivePods leaves terminating ones out)
        pods = [p for r in rss for p in self.children(POD, r) if not p["metadata"].get("deletionTimestamp")]
        new_pods = [p for p in self.children(POD, new_rs)] if new_rs else []
        ready = sum(1 for p in pods if pod_ready(p))
        updated = len(new_pods)
        complete = updated == desired and len(pods) == desired and ready == desired
        ann = dep["metadata"].setdefault("annotations", {})
        if ann.get(REVISION) != new_rs["metadata"].get("annotations", {}).get(REVISION):
            ann[REVISION] = new_rs["metadata"]["annotations"][REVISION]
            self.store.update(dep, result=False)
            dep = clone(self.store.raw(DEPLOY, ns, dep["metadata"]["name"]))
        now = now_iso()
        old_conds = dict((c["type"], c) for c in (dep.get("status") or {}).get("conditions") or [])

        def cond(ctype, status, reason, message):
            prev = old_conds.get(ctype)
            if prev and prev.get("status") == status and prev.get("reason") == reason:
                return prev
            return {"type": ctype, "status": status, "reason": reason, "message": message,
                    "lastUpdateTime": now, "lastTransitionTime": now}

        avail_min = desired - resolve((strategy.get("rollingUpdate") or {}).get("maxUnavailable"), desired, False)
        status = {
            "observedGeneration": dep["metadata"].get("generation", 1), "replicas": len(pods),
            "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": ready,
            "unavailableReplicas": max(0, desired - ready),
            "conditions": [
                cond("Available", "True" if ready >= avail_min else "False",
                     "MinimumReplicasAvailable" if ready >= avail_min else "MinimumReplicasUnavailable",
                     "Deployment has minimum availability."),
                cond("Progressing", "True", "NewReplicaSetAvailable" if complete else "ReplicaSetUpdated",
                     'ReplicaSet "%s" %s.' % (new_rs["metadata"]["name"],
                                              "has successfully progressed" if complete else "is progressing")),
            ]}
        for key in ("readyReplicas", "availableReplicas", "unavailableReplicas", "updatedReplicas"):
            if status[key] == 0:
                status.pop(key)
        self.set_status(dep, status)

    def scale_rs(self, rs, replicas):
        if int(rs["spec"].get("replicas", 0)) != replicas:
            rs = clone(self.store.raw(RS, rs["metadata"]["namespace"], rs["metadata"]["name"]))
            rs["spec"]["replicas"] = replicas
            self.store.update(rs, result=False)

    def rolling(self, new_rs, olds, desired, surge, unavail):
        all_rs = [new_rs] + olds
        total = sum(int(r["spec"].get("replicas", 0)) for r in all_rs)
        # scale up the new ReplicaSet within maxSurge
        new_count = int(new_rs["spec"].get("replicas", 0))
        room = desired + surge - total
        if room > 0 and new_count < desired:
            self.scale_rs(new_rs, min(desired, new_count + room))
            new_count = min(desired, new_count + room)
        # scale down old ReplicaSets within maxUnavailable
        ready_all = sum(1 for r in all_rs for p in self.children(POD, r) if pod_ready(p))
        min_available = desired - unavail
        can_remove = ready_all - min_available
        for old in sorted(olds, key=lambda r: r["metadata"]["creationTimestamp"]):
            count = int(old["spec"].get("replicas", 0))
            if count == 0:
                continue
            old_pods = self.children(POD, old)
            unready = sum(1 for p in old_pods if not pod_ready(p))
            drop = min(count, max(0, can_remove) + unready)
            if drop > 0:
                self.scale_rs(old, count - drop)
                can_remove -= max(0, drop - unready)
        if new_count >= desired and all(int(o["spec"].get("replicas", 0)) == 0 for o in olds):
            return

    # -- StatefulSet --------------------------------------------------------------------
    def sync_hpa(self, hpa):
        """The part of Kubernetes' HPA controller that needs no metrics (``reconcileAutoscaler``,
        pkg/controller/podautoscaler/horizontal.go): a target scaled to 0 while minReplicas != 0
        disables scaling ("ScalingDisabled"); replicas above maxReplicas go to max, below
        minReplicas (default 1) to min. Within the bounds the lab has no metrics: nothing changes."""
        spec = hpa.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        ns = hpa["metadata"]["namespace"]
        gk = (ref.get("apiVersion", "").rpartition("/")[0], ref.get("kind"))
        if gk not in (DEPLOY, STS):
            return
        target = self.store.raw(gk, ns, ref.get("name"))
        if target is None:
            return
        current = int((target.get("spec") or {}).get("replicas", 1))
        low = int(spec["minReplicas"]) if spec.get("minReplicas") is not None else 1
        high = int(spec.get("maxReplicas") or 1)
        desired = current
        if current == 0 and low != 0:
            desired = 0
        elif current > high:
            desired = high
        elif current < low:
            desired = low
        if desired != current:
            scaled = clone(target)
            scaled["spec"]["replicas"] = desired
            self.store.update(scaled, result=False)
        status = dict(hpa.get("status") or {}, currentReplicas=current, desiredReplicas=desired)
        if status != hpa.get("status"):
            self.store.update_status(dict(hpa, status=status), result=False)

    def sync_statefulset(self, sts):
        """One pass of Kubernetes' StatefulSet controller (``updateStatefulSet``,
        pkg/controller/statefulset/stateful_set_control.go; helpers in stateful_set_utils.go).

        Pods ``start .. start+replicas-1`` are the replicas (``spec.ordinals.start``:
        getStartOrdinal/getEndOrdinal, podInOrdinalRange), pods with other ordinals are condemned.
        With ``podManagementPolicy: OrderedReady`` (``monotonic``), processReplica goes through the
        replicas in ordinal order and stops at the first it creates, or that is terminating, or
        not Running and Ready ("StatefulSet is waiting for Pod to be Running and Ready"), or not
        available for ``minReadySeconds``; only when every replica passed does processCondemned
        delete condemned pods, highest ordinal first (``sort.Sort(descendingOrdinal(condemned))``),
        one per pass, waiting while one is terminating ("waiting for Pod to Terminate prior to scale
        down") or not Running and Ready (unless it is the first unhealthy pod). ``Parallel`` does
        all of it at once. The status counts every created pod, terminating ones included
        (computeReplicaStatus: ``isCreated`` -> replicas, ``isRunningAndReady`` -> readyReplicas),
        and the current/updated replicas among the pods not terminating. Not simulated: rolling
        updates of the pod template (pods keep the revision they were created with)."""
        spec = sts["spec"]
        ns = sts["metadata"]["namespace"]
        name = sts["metadata"]["name"]
        want = int(spec.get("replicas", 1))
        start = int((spec.get("ordinals") or {}).get("start") or 0)
        end = start + want - 1
        monotonic = spec.get("podManagementPolicy") != "Parallel"
        min_ready = int(spec.get("minReadySeconds") or 0)
        revision = "%s-%s" % (name, template_hash(spec["template"]))
        replicas, condemned = {}, []
        for pod in self.children(POD, sts):
            ordinal = pod_ordinal(name, pod)
            if ordinal is None:
                continue   # ordinal not parsed: ignored, as getOrdinal < 0
            if start <= ordinal <= end:
                replicas[ordinal] = pod
            else:
                condemned.append(pod)
        condemned.sort(key=lambda p: pod_ordinal(name, p), reverse=True)
        first_unhealthy = next((replicas[o] for o in range(start, end + 1)
                                if o in replicas and self.unavailable(replicas[o], min_ready)), None)
        if first_unhealthy is None:
            first_unhealthy = next((p for p in reversed(condemned) if self.unavailable(p, min_ready)), None)

        def finish():
            self.statefulset_status(sts, list(replicas.values()) + condemned, revision, min_ready)

        for ordinal in range(start, end + 1):
            pod = replicas.get(ordinal)
            if pod is not None and (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded"):
                if not pod["metadata"].get("deletionTimestamp"):
                    self.delete_pods([pod])
                return finish()   # a new pod comes on the next pass, once this one is gone
            if pod is None:
                pod = replicas[ordinal] = self.create_stateful_pod(sts, ordinal, revision)
                if monotonic:
                    return finish()
                continue
            if monotonic and (pod["metadata"].get("deletionTimestamp") or not pod_running_and_ready(pod)
                              or self.unavailable(pod, min_ready)):
                return finish()
        for pod in condemned:
            if pod["metadata"].get("deletionTimestamp"):
                if monotonic:
                    return finish()
                continue
            if monotonic and pod is not first_unhealthy and (not pod_running_and_ready(pod)
                                                            or self.unavailable(pod, min_ready)):
                return finish()
            self.delete_pods([pod])
            fresh = self.store.raw(POD, ns, pod["metadata"]["name"])
            if fresh is None:
                condemned = [p for p in condemned if p is not pod]
            else:
                condemned = [fresh if p is pod else p for p in condemned]
            if monotonic:
                return finish()
        return finish()

    def create_stateful_pod(self, sts, ordinal, revision):
        """A replica with its claims first (createPersistentVolumeClaims, then the pod)."""
        ns = sts["metadata"]["namespace"]
        pname = "%s-%d" % (sts["metadata"]["name"], ordinal)
        for claim in sts["spec"].get("volumeClaimTemplates") or []:
            cname = "%s-%s" % (claim["metadata"]["name"], pname)
            if self.store.raw(("", "PersistentVolumeClaim"), ns, cname) is None:
                self.store.create({
                    "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": {"name": cname, "namespace": ns,
                                 "labels": dict((sts["spec"].get("selector") or {}).get("matchLabels") or {})},
                    "spec": clone(claim.get("spec") or {}), "status": {"phase": "Bound"}})
        return self.create_pod(sts, sts["spec"]["template"], name=pname,
                               extra_labels={"controller-revision-hash": revision,
                                             "statefulset.kubernetes.io/pod-name": pname,
                                             "apps.kubernetes.io/pod-index": str(ordinal)})

    def unavailable(self, pod, min_ready):
        """isUnavailable: not available for ``minReadySeconds``, or terminating. A pod that will be
        available once its Ready condition is old enough has the StatefulSet synced again then."""
        if pod["metadata"].get("deletionTimestamp") or not pod_running_and_ready(pod):
            return True
        if min_ready <= 0:
            return False
        since = ready_since(pod)
        left = min_ready - since if since is not None else min_ready
        if left > 0:
            owner = next((r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")), None)
            if owner is not None:
                asyncio.get_event_loop().call_later(left + 0.05, self.mark, STS, pod["metadata"]["namespace"],
                                                    owner["name"])
            return True
        return False

    def statefulset_status(self, sts, pods, revision, min_ready):
        created = [p for p in pods if (p.get("status") or {}).get("phase")]
        ready = [p for p in created if pod_running_and_ready(p)]
        available = [p for p in ready if min_ready <= 0 or (ready_since(p) or 0) >= min_ready]
        current = sum(1 for p in created if not p["metadata"].get("deletionTimestamp")
                      and (p["metadata"].get("labels") or {}).get("controller-revision-hash") == revision)
        status = {"observedGeneration": sts["metadata"].get("generation", 1), "replicas": len(created),
                  "readyReplicas": len(ready), "availableReplicas": len(available), "currentReplicas": current,
                  "updatedReplicas": current, "currentRevision": revision, "updateRevision": revision,
                  "collisionCount": 0}
        self.set_status(sts, status)

    # -- DaemonSet -----------------------------------------------------------------------
    def sync_daemonset(self, ds):
        nodes = [n["metadata"]["name"] for n in self.store.iter_raw(("", "Node"))
                 if match_label_selector(n["metadata"].get("labels"),
                                         {"matchLabels": (ds["spec"]["template"].get("spec") or {}).get(
                                             "nodeSelector") or {}})]
        pods = self.children(POD, ds)
        have = set((p.get("spec") or {}).get("nodeName") for p in pods)
        for node in nodes:
            if node not in have:
                pods.append(self.create_pod(ds, ds["spec"]["template"], node=node))
        ready = sum(1 for p in pods if pod_ready(p))
        status = {"observedGeneration": ds["metadata"].get("generation", 1), "desiredNumberScheduled": len(nodes),
                  "currentNumberScheduled": len(pods), "numberReady": ready, "numberAvailable": ready,
                  "updatedNumberScheduled": len(pods), "numberMisscheduled": 0}
        self.set_status(ds, status)

    # -- Job ----------------------------------------------------------------------------------
    def sync_job(self, job):
        completions = int(job["spec"].get("completions", 1) or 1)
        pods = self.children(POD, job)
        if not pods:
            for _ in range(min(completions, int(job["spec"].get("parallelism", 1) or 1))):
                pods.append(self.create_pod(job, job["spec"]["template"]))
        succeeded = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded")
        status = {"active": len(pods) - succeeded, "succeeded": succeeded, "startTime":
                  (job.get("status") or {}).get("startTime") or now_iso()}
        if succeeded >= completions:
            status["active"] = 0
            status["completionTime"] = (job.get("status") or {}).get("completionTime") or now_iso()
            status["conditions"] = [{"type": "Complete", "status": "True"}]
        if not status["active"]:
            status.pop("active")
        self.set_status(job, status)
