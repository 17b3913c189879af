"""``steady``: a reading polled for a stated time, failing at its first change."""

import pytest

from tests.utils.polling import steady


def test_steady_returns_the_number_of_readings_of_an_unchanged_value():
    assert steady(lambda: "same", "same", seconds=0.05, interval=0.01) >= 2


def test_steady_fails_at_the_first_change():
    readings = iter([3, 3, 4, 3, 3])
    with pytest.raises(AssertionError) as err:
        steady(lambda: next(readings), 3, seconds=5, interval=0.001, what="replicas")
    assert "replicas changed after 3 reading(s): 4, expected 3" in str(err.value)


def test_steady_checks_the_first_reading():
    with pytest.raises(AssertionError):
        steady(lambda: 1, 0, seconds=0)
