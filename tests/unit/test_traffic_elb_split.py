"""ElbSplit against an in-memory ELB that keeps clientTokens as CTyun documents them ("客户端存根，
用于保证订单幂等性": a create sent again with a token is answered with its first answer)."""

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ApiError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import elb
from ansible_collections.ctyun.cce_migration.plugins.module_utils.traffic import weights
from ansible_collections.ctyun.cce_migration.plugins.module_utils.traffic.elb_split import ElbSplit

GROUP = "tg-1"
ENDS = {"source": dict(instance_type="IP", instance_id="10.0.0.1", ip="10.0.0.1", port=80),
        "target": dict(instance_type="IP", instance_id="10.0.0.2", ip="10.0.0.2", port=80)}


class FakeElb(object):
    region_id = "r1"

    def __init__(self, fail_list_after_create=False):
        self.targets = {}
        self.tokens = {}
        self.creates = 0
        self.fail_list_after_create = fail_list_after_create
        self.count = 0

    def call(self, method, path, query=None, body=None, idempotent=None):
        if path == elb.CREATE_TARGET:
            if body["clientToken"] in self.tokens:
                return [{"ID": self.tokens[body["clientToken"]]}]
            self.count += 1
            self.creates += 1
            tid = "t-%d" % self.count
            self.targets[tid] = dict(ID=tid, instanceType="IP", instanceID=body["instanceID"],
                                     protocolPort=body["protocolPort"], weight=body["weight"],
                                     healthCheckStatus="online")
            self.tokens[body["clientToken"]] = tid
            return [{"ID": tid}]
        if path == elb.LIST_TARGET:
            if self.fail_list_after_create and self.creates:
                raise ApiError("list-target failed", status=500)
            return list(self.targets.values())
        if path == elb.UPDATE_TARGET:
            self.targets[body["targetID"]]["weight"] = body["weight"]
            return [{"ID": body["targetID"]}]
        if path == elb.DELETE_TARGET:
            self.targets.pop(body["targetID"], None)
            return [{"ID": body["targetID"]}]
        raise AssertionError(path)


def move(fake, percent):
    split = ElbSplit(fake, GROUP, ENDS)
    found = split.sides()
    ops = weights.plan(split.weights_of(found), weights.elb_weights(percent))
    split.apply(found, ops)
    return split.verify(weights.simulate(split.weights_of(found), ops)[-1] if ops else split.weights_of(found))


def test_adding_the_same_entry_again_and_again_after_removals_adds_it_each_time():
    fake = FakeElb()
    move(fake, 0)                       # the source alone
    for _round in range(4):             # 25 % then 0 %: CCE's entry added, removed, added again ...
        found = move(fake, 25)
        assert found["target"] is not None and found["target"]["weight"] == 25
        assert move(fake, 0)["target"] is None
    assert fake.creates == 5            # one per add, none twice


def test_a_write_is_reported_when_what_follows_it_fails():
    fake = FakeElb()
    move(fake, 0)
    fake.creates = 0
    fake.fail_list_after_create = True
    split = ElbSplit(fake, GROUP, ENDS)
    found = split.sides()
    ops = weights.plan(split.weights_of(found), weights.elb_weights(25))
    try:
        split.apply(found, ops)
    except ApiError:
        pass
    else:
        raise AssertionError("the list after the add should have failed")
    assert [w["op"] for w in split.writes] == ["create"]
