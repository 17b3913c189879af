# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Kubernetes resource quantities and image references, parsed without the client models."""

from __future__ import annotations

import re

_SUFFIX = {
    "Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3, "Ti": 1024 ** 4, "Pi": 1024 ** 5, "Ei": 1024 ** 6,
    "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1,
    "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
}
_QUANTITY = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*"
                       r"(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|K|M|G|T|P|E)?\s*$")


def parse_quantity(value):
    """``"250m"`` -> 0.25, ``"1Gi"`` -> 1073741824.0, numbers pass through; None or junk -> 0.0."""
    if value is None:
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    match = _QUANTITY.match(str(value))
    if not match:
        return 0.0
    number, suffix = match.groups()
    return float(number) * _SUFFIX[suffix or ""]


def cpu_millicores(value):
    return int(round(parse_quantity(value) * 1000))


def memory_bytes(value):
    return int(round(parse_quantity(value)))


def pod_requests(pod_spec):
    """Effective CPU (millicores) and memory (bytes) one pod of ``pod_spec`` requests.

    As the scheduler counts it: the sum over containers, or the largest init container if
    that is larger; a container with limits but no requests requests its limits.
    """
    def container_requests(container):
        resources = container.get("resources") or {}
        requests = resources.get("requests") or {}
        limits = resources.get("limits") or {}
        cpu = requests.get("cpu", limits.get("cpu"))
        mem = requests.get("memory", limits.get("memory"))
        return cpu_millicores(cpu), memory_bytes(mem)

    spec = pod_spec or {}
    cpu = mem = 0
    for container in spec.get("containers") or []:
        c, m = container_requests(container)
        cpu += c
        mem += m
    for container in spec.get("initContainers") or []:
        c, m = container_requests(container)
        cpu = max(cpu, c)
        mem = max(mem, m)
    overhead = spec.get("overhead") or {}
    cpu += cpu_millicores(overhead.get("cpu"))
    mem += memory_bytes(overhead.get("memory"))
    return cpu, mem


def parse_image(image):
    """Split an image reference into registry, repository, tag and digest (Docker rules)."""
    ref = (image or "").strip()
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = None
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        ref, tag = ref[:colon], ref[colon + 1:]
    parts = ref.split("/", 1)
    if len(parts) == 2 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry, repository = parts
    else:
        registry, repository = "docker.io", ref
        if "/" not in repository:
            repository = "library/" + repository
    if tag is None and digest is None:
        tag = "latest"
    return dict(registry=registry, repository=repository, tag=tag, digest=digest)


def format_bytes(value):
    value = float(value or 0)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return ("%d %s" % (value, unit)) if unit == "B" else ("%.1f %s" % (value, unit))
        value /= 1024.0
    return "%.1f TiB" % value
