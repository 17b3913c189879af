"""Shared pytest setup: import the working tree as the collection."""

import os

from tests.utils.devpath import REPO, ensure_dev_path

ensure_dev_path()
# ansible-playbook runs of the tests keep their temporary files and caches in the project, as
# `make test` does, also when pytest is started directly (never in the user's ~/.ansible)
os.environ.setdefault("ANSIBLE_HOME", str(REPO / ".build" / "home" / ".ansible"))
# the modules a playbook runs through a local connection are copied to remote_tmp, which defaults
# to ~/.ansible/tmp with ~ read from the user database (not $HOME)
os.environ.setdefault("ANSIBLE_REMOTE_TMP", os.path.join(os.environ["ANSIBLE_HOME"], "tmp"))


def pytest_runtest_setup(item):
    """``@pytest.mark.lab_knob``: the test needs a knob only the simulated lab has; its run on the
    real backend (the ``lab`` or ``lab_backend`` parameter ``real``) is skipped before the lab starts."""
    import pytest

    if item.get_closest_marker("lab_knob") is None:
        return
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "real" in (params.get("lab"), params.get("lab_backend")):
        pytest.skip("lab_knob: a knob only the simulated lab has")
