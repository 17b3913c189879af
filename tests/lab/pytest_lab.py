"""pytest plugin: ``pytest_plugins = ["tests.lab.pytest_lab"]`` gives a session-wide ``lab``
(members source and target pre-joined in Karmada) and a fresh ``lab_namespace`` per test."""

from __future__ import annotations

import itertools

import pytest

from tests.lab.fixtures import start_lab

_names = itertools.count()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    with start_lab(tmp_path_factory.mktemp("lab"), LAB_KARMADA_MEMBERS="source,target", LAB_READY_S="0.5",
                   LAB_WORKLOADS="30") as handle:
        yield handle
