"""pytest plugin: ``pytest_plugins = ["tests.lab.pytest_lab"]`` gives a session-wide ``lab``
(members source and target pre-joined in Karmada).

``LAB_BACKENDS`` (comma-separated, default ``sim``) names the backends the ``lab`` fixture runs
on: ``sim`` (the simulation) and ``real`` (real Kubernetes and Karmada, ``make real-build``
first). With both, every test using ``lab`` runs once on each, its id ending in ``[sim]`` or
``[real]``. Marks: ``@pytest.mark.sim_only("why")`` for what only the simulation offers (another
cloud's old API versions, injected CCE states), ``@pytest.mark.real_only("why")`` for behaviour
the simulation does not reproduce (listed in docs/lab.md).
"""

from __future__ import annotations

import itertools
import os

import pytest

from tests.lab.fixtures import start_lab

_names = itertools.count()


def backends():
    names = [b.strip() for b in os.environ.get("LAB_BACKENDS", "sim").split(",") if b.strip()]
    unknown = [b for b in names if b not in ("sim", "real")]
    if unknown:
        raise pytest.UsageError("LAB_BACKENDS: unknown backend(s) %s; use sim, real or sim,real" % unknown)
    return names


def pytest_configure(config):
    config.addinivalue_line("markers", "sim_only(reason): runs on the simulation only")
    config.addinivalue_line("markers", "real_only(reason): runs on the real control planes only")


def skip_for_backend(item, kube):
    for mark, other in (("sim_only", "real"), ("real_only", "sim")):
        marker = item.get_closest_marker(mark)
        if marker is not None and kube == other:
            pytest.skip("%s: %s" % (mark, marker.args[0] if marker.args else ""))


@pytest.fixture(scope="session", params=backends())
def lab_backend(request):
    return request.param


@pytest.fixture(scope="session")
def lab(tmp_path_factory, lab_backend):
    with start_lab(tmp_path_factory.mktemp("lab-%s" % lab_backend), LAB_KUBE=lab_backend,
                   LAB_KARMADA_MEMBERS="source,target", LAB_READY_S="0.5", LAB_WORKLOADS="30") as handle:
        yield handle


@pytest.fixture(autouse=True)
def _backend_marks(request):
    if "lab_backend" in request.fixturenames:
        skip_for_backend(request.node, request.getfixturevalue("lab_backend"))
