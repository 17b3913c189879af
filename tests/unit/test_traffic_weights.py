"""Traffic split planner: weights per backend, the order of the writes, convergence. Tables with
literal numbers; the monotonicity check walks every whole-percent move."""

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.traffic import weights

DELETE_SOURCE = {"op": "delete", "side": "source", "weight": None}


@pytest.mark.parametrize("percent,expected", [
    (0, {"source": 100, "target": None}),
    (1, {"source": 99, "target": 1}),
    (25, {"source": 75, "target": 25}),
    (50, {"source": 50, "target": 50}),
    (99, {"source": 1, "target": 99}),
    (100, {"source": None, "target": 100}),
    # not a whole percent: the closest pair within 1-256 (1/3 exactly, 0.5 % needs 1:199)
    (100 / 3.0, {"source": 2, "target": 1}),
    (0.5, {"source": 199, "target": 1}),
])
def test_elb_weights(percent, expected):
    assert weights.elb_weights(percent) == expected


def test_elb_weights_stay_in_range_and_say_what_they_achieve():
    got = weights.elb_weights(0.1)   # 1:999 does not fit in 256: the closest is 1:256
    assert got == {"source": 256, "target": 1}
    assert round(weights.share(got), 3) == 0.389


@pytest.mark.parametrize("percent,expected", [
    (0, {"source": 100, "target": 0}),
    (25, {"source": 75, "target": 25}),
    (100, {"source": 0, "target": 100}),
    (12.5, {"source": 175, "target": 25}),
])
def test_route_weights(percent, expected):
    assert weights.route_weights(percent) == expected


@pytest.mark.parametrize("current,wanted,ops", [
    # first step: CCE joins with its weight, then the source goes down
    ({"source": 100, "target": None}, {"source": 75, "target": 25},
     [{"op": "create", "side": "target", "weight": 25}, {"op": "update", "side": "source", "weight": 75}]),
    # last step: the source leaves (CCE, alone, gets everything whatever its weight)
    ({"source": 50, "target": 50}, {"source": None, "target": 100}, [DELETE_SOURCE]),
    ({"source": 25, "target": 75}, {"source": None, "target": 100}, [DELETE_SOURCE]),
    # back from 100: the source joins with its weight (it gets less than asked while CCE keeps its
    # old weight), then CCE goes down
    ({"source": None, "target": 100}, {"source": 50, "target": 50},
     [{"op": "create", "side": "source", "weight": 50}, {"op": "update", "side": "target", "weight": 50}]),
    ({"source": None, "target": 75}, {"source": 75, "target": 25},
     [{"op": "create", "side": "source", "weight": 75}, {"op": "update", "side": "target", "weight": 25}]),
    # CCE alone with a small weight: joining first would give the source more than asked, so CCE
    # (alone, every request whatever its weight) takes its final weight first
    ({"source": None, "target": 10}, {"source": 50, "target": 50},
     [{"op": "update", "side": "target", "weight": 50}, {"op": "create", "side": "source", "weight": 50}]),
    # a move across: the source stays until CCE is in the group (never an empty group)
    ({"source": 100, "target": None}, {"source": None, "target": 100},
     [{"op": "create", "side": "target", "weight": 100}, DELETE_SOURCE]),
    # converged: the same ratio in other numbers, or one side alone whatever its weight
    ({"source": 2, "target": 2}, {"source": 50, "target": 50}, []),
    ({"source": 7, "target": None}, {"source": 100, "target": None}, []),
    # an empty group at 0 %: the source is added
    ({"source": None, "target": None}, {"source": 100, "target": None},
     [{"op": "create", "side": "source", "weight": 100}]),
])
def test_plan(current, wanted, ops):
    assert weights.plan(current, wanted) == ops


def test_every_write_keeps_the_share_between_before_and_after():
    """From every whole percent to every other: no intermediate state sends CCE more than the
    larger of the two shares or less than the smaller."""
    for a in range(0, 101, 5):
        for b in range(0, 101, 5):
            current = weights.elb_weights(a)
            ops = weights.plan(current, weights.elb_weights(b))
            low, high = min(a, b), max(a, b)
            for state in weights.simulate(current, ops):
                assert low <= (weights.share(state) or 0.0) <= high, (a, b, state)
            if ops:
                assert weights.share(weights.simulate(current, ops)[-1]) == b


def test_moves_from_and_to_every_state_of_the_collection_never_empty_the_group():
    for a in (None, 0, 30, 100):
        for b in (0, 30, 100):
            current = {"source": None, "target": None} if a is None else weights.elb_weights(a)
            for state in weights.simulate(current, weights.plan(current, weights.elb_weights(b))):
                assert weights.share(state) is not None, (a, b, state)
