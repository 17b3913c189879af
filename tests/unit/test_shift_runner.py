"""The shift runner against an in-memory model of Karmada and two members.

The model applies Karmada's rules (static-weight division, a cluster with 0
replicas leaves the schedule, preserveResourcesOnDeletion keeps the member
object as it was and drops Karmada's labels); new pods become ready one per
member poll, removed pods go at once. Every state change samples the ready
replicas, so the capacity invariant is checked at every instant of the model.
The same scenarios run against the lab in tests/integration/test_replica_shift.py.
"""

import copy
import re

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import NotFoundError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.karmada.division import divide_static
from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import gates as gates_mod
from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import runner, state

SRC, TGT = "src", "tgt"
PATH = re.compile(r"^/apis/(?P<group>.+)/namespaces/(?P<ns>[^/]+)/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?$")


class World(object):
    def __init__(self):
        self.policies = {}
        self.templates = {}
        self.members = {SRC: {}, TGT: {}}
        self.writes = 0
        self.low = {}  # workload -> lowest ready sum seen

    def add(self, name, replicas, mu, uid):
        tpl = {"kind": "Deployment", "metadata": {"namespace": "app", "name": name, "uid": uid},
               "spec": {"replicas": replicas, "strategy": {"rollingUpdate": {"maxUnavailable": mu}}}}
        self.templates["app/" + name] = tpl
        self.policies["app/" + name] = {
            "metadata": {"namespace": "app", "name": name, "annotations": {}},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}],
                     "placement": {"clusterAffinity": {"clusterNames": [SRC]}},
                     "preserveResourcesOnDeletion": True, "conflictResolution": "Overwrite"}}
        self.members[SRC]["app/" + name] = self._member(tpl, replicas, ready=replicas)
        self.sample()

    @staticmethod
    def _member(tpl, replicas, ready=0):
        return {"metadata": {"namespace": "app", "name": tpl["metadata"]["name"],
                             "labels": {"karmada.io/managed": "true"}},
                "spec": {"replicas": replicas}, "status": {"replicas": replicas, "readyReplicas": ready}}

    def reconcile(self):
        for key, pol in self.policies.items():
            tpl = self.templates.get(key)
            if tpl is None:
                for obj in (self.members[SRC].get(key), self.members[TGT].get(key)):
                    if obj:
                        obj["metadata"]["labels"].pop("karmada.io/managed", None)
                continue
            placement = pol["spec"]["placement"]
            names = placement["clusterAffinity"]["clusterNames"]
            rs = placement.get("replicaScheduling")
            replicas = tpl["spec"]["replicas"]
            if rs:
                div = divide_static(replicas, names, rs["weightPreference"]["staticWeightList"],
                                    tpl["metadata"]["uid"])
            else:
                div = dict((n, replicas) for n in names)
            for cluster in (SRC, TGT):
                obj = self.members[cluster].get(key)
                want = div.get(cluster, 0)
                if want > 0:
                    if obj is None:
                        obj = self.members[cluster][key] = self._member(tpl, want)
                    obj["metadata"]["labels"]["karmada.io/managed"] = "true"
                    self._scale(obj, want)
                elif obj is not None:
                    obj["metadata"]["labels"].pop("karmada.io/managed", None)  # preserved as it was
        self.sample()

    @staticmethod
    def _scale(obj, replicas):
        obj["spec"]["replicas"] = replicas
        obj["status"]["replicas"] = replicas
        obj["status"]["readyReplicas"] = min(obj["status"]["readyReplicas"], replicas)

    def tick(self):
        for cluster in (SRC, TGT):
            for obj in self.members[cluster].values():
                if obj["status"]["readyReplicas"] < obj["spec"]["replicas"]:
                    obj["status"]["readyReplicas"] += 1
        self.sample()

    def sample(self):
        for key in self.templates:
            total = sum(self.members[c][key]["status"]["readyReplicas"] for c in (SRC, TGT)
                        if key in self.members[c])
            self.low[key] = min(self.low.get(key, total), total)


class FakeRest(object):
    def __init__(self, world, cluster=None):
        self.world = world
        self.cluster = cluster
        self.requests = 0

    def _store(self, plural):
        if self.cluster:
            return self.world.members[self.cluster]
        return self.world.policies if plural == "propagationpolicies" else self.world.templates

    def get(self, path, missing_ok=False):
        m = PATH.match(path)
        obj = self._store(m["plural"]).get("%s/%s" % (m["ns"], m["name"]))
        if obj is None:
            if missing_ok:
                return None
            raise NotFoundError("not found", status=404)
        return copy.deepcopy(obj)

    def list(self, path, label_selector=None):
        if self.cluster:
            self.world.tick()
        m = PATH.match(path)
        return [copy.deepcopy(v) for k, v in sorted(self._store(m["plural"]).items()) if k.startswith(m["ns"] + "/")]

    def merge_patch(self, path, patch):
        m = PATH.match(path)
        key = "%s/%s" % (m["ns"], m["name"])
        obj = self._store(m["plural"])[key]
        _merge(obj, patch)
        self.world.writes += 1
        if self.cluster:
            self.world._scale(obj, obj["spec"]["replicas"])
            self.world.sample()
        else:
            self.world.reconcile()
        return copy.deepcopy(obj)

    def delete(self, path, missing_ok=True):
        m = PATH.match(path)
        self._store(m["plural"]).pop("%s/%s" % (m["ns"], m["name"]), None)
        self.world.writes += 1
        self.world.reconcile()


def _merge(obj, patch):
    for k, v in patch.items():
        if v is None:
            obj.pop(k, None)
        elif isinstance(v, dict) and isinstance(obj.get(k), dict):
            _merge(obj[k], v)
        else:
            obj[k] = copy.deepcopy(v)


WORKLOADS = [("web", 10, 0, "d43fdeeb-d750-4e2b-bee3-64eb94534f4c"), ("api", 5, 2, "4858ca61-3ff8"),
             ("cart", 3, 1, ""), ("solo", 1, 0, "x")]


def _setup(check_mode=False, gates=None):
    world = World()
    for w in WORKLOADS:
        world.add(*w)
    karmada = FakeRest(world)
    shifter = runner.Shifter(karmada, {"source": FakeRest(world, SRC), "target": FakeRest(world, TGT)},
                             {"source": SRC, "target": TGT}, concurrency=3, wait_timeout=30, wait_sleep=0.001,
                             check_mode=check_mode, gates=gates_mod.normalise(gates))
    return world, shifter


def _groups(world, shifter):
    groups = runner.find_policies(shifter.karmada, ["app/" + w[0] for w in WORKLOADS], [], None)
    for g in groups:
        g["workloads"] = runner.load_workloads(shifter.karmada, g)
        g["current"] = state.current_step(g["policy"], SRC, TGT)
    return groups


def _assert_invariant(world):
    for name, replicas, mu, _ in WORKLOADS:
        assert world.low["app/" + name] >= replicas - mu, (name, world.low)


def test_full_shift_keeps_capacity_and_scales_source_to_zero():
    world, shifter = _setup()
    out = runner.run_shift(shifter, _groups(world, shifter), [0, 25, 50, 100])
    assert out["failure"] is None
    _assert_invariant(world)
    for name, replicas, _, _ in WORKLOADS:
        src = world.members[SRC]["app/" + name]
        assert src["spec"]["replicas"] == 0  # kept, scaled to 0, never deleted
        assert world.members[TGT]["app/" + name]["status"]["readyReplicas"] == replicas
        assert world.policies["app/" + name]["metadata"]["annotations"][state.STEP] == "100"
    # a re-run at the final step changes nothing
    writes = world.writes
    shifter.changed = False
    again = runner.run_shift(shifter, _groups(world, shifter), [0, 25, 50, 100])
    assert again["steps"] == [] and not shifter.changed and world.writes == writes


def test_rollback_from_100_brings_source_back():
    world, shifter = _setup()
    runner.run_shift(shifter, _groups(world, shifter), [0, 100])
    world.low.clear()
    world.sample()
    runner.run_shift(shifter, _groups(world, shifter), [0])
    _assert_invariant(world)
    for name, replicas, _, _ in WORKLOADS:
        assert world.members[SRC]["app/" + name]["status"]["readyReplicas"] == replicas
        assert world.members[TGT]["app/" + name]["spec"]["replicas"] == 0


def test_failing_gate_rolls_back_to_last_good_step():
    world, shifter = _setup(gates={"command": ["sh", "-c", 'test "$SHIFT_PERCENT" -lt 60']})
    out = runner.run_shift(shifter, _groups(world, shifter), [0, 50, 100])
    assert out["failure"]["step"] == 100 and out["failure"]["gate"] == "command"
    assert set(out["rolled_back_to"].values()) == {50}
    _assert_invariant(world)
    for name, _, _, uid in WORKLOADS:
        split = divide_static(dict((w[0], w[1]) for w in WORKLOADS)[name], [SRC, TGT],
                              [{"clusterNames": [SRC], "weight": 50}, {"clusterNames": [TGT], "weight": 50}], uid)
        assert world.members[SRC]["app/" + name]["status"]["readyReplicas"] == split[SRC]
        assert world.members[TGT]["app/" + name]["status"]["readyReplicas"] == split[TGT]


def test_check_mode_writes_nothing():
    world, shifter = _setup(check_mode=True)
    out = runner.run_shift(shifter, _groups(world, shifter), [0, 50, 100])
    assert world.writes == 0 and shifter.changed
    assert [s["percent"] for s in out["steps"]] == [0, 50, 100]


@pytest.mark.parametrize("crash_after", [1, 3, 6, 9, 14])
def test_resume_after_crash_converges(crash_after):
    world, shifter = _setup()

    class Crash(Exception):
        pass

    calls = {"n": 0}
    original = FakeRest.merge_patch

    def crashing(self, path, patch):
        calls["n"] += 1
        if calls["n"] > crash_after:
            raise Crash()
        return original(self, path, patch)

    FakeRest.merge_patch = crashing
    try:
        with pytest.raises(Crash):
            runner.run_shift(shifter, _groups(world, shifter), [0, 50, 100])
    finally:
        FakeRest.merge_patch = original
    out = runner.run_shift(shifter, _groups(world, shifter), [0, 50, 100])
    assert out["failure"] is None
    _assert_invariant(world)
    for name, replicas, _, _ in WORKLOADS:
        assert world.members[SRC]["app/" + name]["spec"]["replicas"] == 0
        assert world.members[TGT]["app/" + name]["status"]["readyReplicas"] == replicas
