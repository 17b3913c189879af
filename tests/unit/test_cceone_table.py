"""The CCE One assumption table: overrides, the lab agreeing with it, the document rendered from it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import cceone
from tests.lab.ctyunsim import cceone as lab_cceone
from tests.lab.ctyunsim import dts as lab_dts
from tests.utils.devpath import REPO


class RecordingClient:
    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def call(self, method, path, query=None, body=None, **_):
        self.calls.append((method, path, query, body))
        return self.answers.get((method, path), {})


@pytest.mark.parametrize("overrides, key, expected", [
    ({}, ("fields", "records"), "records"),
    ({"fields": {"records": "items"}}, ("fields", "records"), "items"),
    ({"fields": {"records": "items"}}, ("fields", "cluster_id"), "clusterId"),
    ({"paths": {"fleet_members": ["POST", "/v2/f/{id}/c"]}}, ("paths", "fleet_members"), ("POST", "/v2/f/{id}/c")),
    ({"paths": {"fleet_members": ["POST", "/v2/f/{id}/c"]}}, ("paths", "fleet_list"), ("GET", "/v1/cceone/fleets")),
    ({"states": {"connected": ["Online"]}}, ("states", "connected"), ["Online"]),
])
def test_overrides_are_deep_merged(overrides, key, expected):
    assert cceone.table(overrides)[key[0]][key[1]] == expected
    assert cceone.DEFAULT_TABLE["fields"]["records"] == "records", "defaults must not be modified"


def test_bad_path_override_names_the_field():
    with pytest.raises(ValidationError, match=r"cceone_api_overrides.paths.fleet_list must be \[METHOD, PATH\]"):
        cceone.table({"paths": {"fleet_list": "/v2/fleets"}})


def test_calls_follow_the_overridden_table():
    client = RecordingClient({("GET", "/v2/fleets"): {"items": [{"id": "f1", "fleetName": "a"}]}})
    one = cceone.CceOne(client, {"paths": {"fleet_list": ["GET", "/v2/fleets"]}, "fields": {"records": "items"}})
    assert one.find_fleet("a") == {"id": "f1", "fleetName": "a"}
    one.set_members("f1", ["c2", "c1"])
    assert client.calls[-1] == ("PUT", "/v1/cceone/fleets/f1/members", None, {"clusterIds": ["c1", "c2"]})


@pytest.mark.parametrize("value, word, expected", [
    ("Connected", "connected", True), ("joining", "pending", True), ("RUNNING", "running", True),
    ("running", "connected", False), ("error", "failed", True),
])
def test_state_words_compare_case_insensitively(value, word, expected):
    assert cceone.CceOne(RecordingClient({})).is_state(value, word) is expected


def test_lab_serves_the_paths_of_the_table():
    served = dict(lab_cceone.PATHS, **lab_dts.PATHS)
    assert {k: tuple(v) for k, v in cceone.DEFAULT_TABLE["paths"].items()} == served


def test_document_is_rendered_from_the_table():
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "render_cceone_doc.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
