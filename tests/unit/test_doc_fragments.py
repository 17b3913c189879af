"""The nested-access doc fragments are valid YAML and match the argument spec they document."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.ctyun.cce_migration.plugins.doc_fragments.k8s_auth import ModuleDocFragment
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.arg_spec import k8s_auth_suboptions


@pytest.mark.parametrize("fragment, options", [
    ("MEMBER", ["member"]), ("SOURCE", ["source"]), ("KARMADA", ["karmada"]),
    ("MEMBERS", ["source_cluster", "target_cluster"]),
])
def test_fragment_documents_the_access_suboptions(fragment, options):
    doc = yaml.safe_load(getattr(ModuleDocFragment, fragment))
    assert sorted(doc["options"]) == sorted(options)
    spec = k8s_auth_suboptions()
    for name in options:
        sub = doc["options"][name]["suboptions"]
        assert sorted(sub) == sorted(spec)
        for key, entry in sub.items():
            assert entry["type"] == spec[key]["type"], key
            assert sorted(entry.get("aliases", [])) == sorted(spec[key].get("aliases", [])), key
