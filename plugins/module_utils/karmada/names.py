# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Names Karmada gives to the objects it creates (``pkg/util/names/names.go``)."""

from __future__ import annotations

# k8s.io/apimachinery/pkg/util/rand SafeEncodeString alphabet (no vowels, no confusable digits)
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


def fnv32a(data):
    value = 0x811C9DC5
    for byte in data.encode("utf-8"):
        value ^= byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def safe_encode(text):
    """rand.SafeEncodeString: each byte mapped into the alphabet by its value."""
    return "".join(_ALPHANUMS[ord(ch) % len(_ALPHANUMS)] for ch in text)


def gvk_string(api_version, kind):
    """schema.GroupVersionKind.String(): ``apps/v1, Kind=Deployment`` (``/v1, Kind=Service`` for core)."""
    group, dummy, version = api_version.rpartition("/")
    return "%s/%s, Kind=%s" % (group, version, kind)


def policy_name(namespace, name, api_version, kind):
    """names.GeneratePolicyName(namespace, name, gvk.String()), as karmadactl promote calls it:
    ``lower(<name with ':' replaced by '.'>-<SafeEncodeString(fnv32a(namespace + gvk))>)``.
    (DeepHashObject of a string writes the string's bytes; names_test.go: ns-foo/foo/rand ->
    foo-b4978784.)"""
    digest = safe_encode(str(fnv32a((namespace or "") + gvk_string(api_version, kind)
                                    if kind else (namespace or "") + api_version)))
    return ("%s-%s" % (name.replace(":", "."), digest)).lower()


def raw_policy_name(namespace, name, gvk):
    """GeneratePolicyName with an already formatted gvk string (for the tests' vectors)."""
    return ("%s-%s" % (name.replace(":", "."), safe_encode(str(fnv32a((namespace or "") + gvk))))).lower()


def binding_name(kind, name):
    """names.GenerateBindingName: ``lower(name + "-" + kind)``."""
    return ("%s-%s" % (name, kind)).lower()


def execution_namespace(cluster):
    """Where the Works of a member live: ``names.GenerateExecutionSpaceName`` (pkg/util/names/names.go),
    ``karmada-es-<cluster>``."""
    return "karmada-es-" + cluster
