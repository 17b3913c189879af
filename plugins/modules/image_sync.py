#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: image_sync
short_description: Copy container images from one registry to another (OCI / Docker Registry API v2)
version_added: 0.1.0
description:
  - Copies images between registries that speak the Distribution (OCI / Docker Registry HTTP API v2)
    protocol, with plain HTTPS requests; no container engine is needed.
  - Docker schema 2 manifests, Docker manifest lists, OCI manifests and OCI indexes are copied byte for byte,
    so the target digests equal the source digests. For a multi-architecture image every platform is copied.
  - Blobs the target already has are skipped (C(HEAD)); blobs another repository of the target registry holds
    are mounted (cross-repository mount) when source and target are the same registry, when an image gives
    C(mount_from), or when an earlier image of the same run put the blob there. Other blobs are streamed from
    the source and uploaded, in one request up to O(chunk_threshold) bytes and in O(chunk_size) chunks above.
  - Every blob is hashed (sha256) while it streams; an upload whose bytes do not match the descriptor's digest
    is cancelled. After the copy the module reads the target digests back (tag and each platform) and compares.
  - Writes are ordered so that a tag never points at an incomplete image. Blobs first, then the platform
    manifests of an index, then the tagged manifest. An interrupted run leaves at most untagged blobs, which
    the next run skips.
  - An image whose target tag already has the source digest is C(unchanged) (its blobs are still checked with
    C(HEAD) when O(verify_blobs) is true, and missing ones are restored).
  - All input (references, maps, credentials) is checked, and both registries are contacted with C(GET /v2/),
    before anything is written. Bad credentials fail the run without copying anything.
  - Returns O(repository_map) as RV(registry_map), the image prefix rewrite C(override_policy) applies to
    workloads for the target cluster.
author:
  - ctyun.cce_migration maintainers (@ctyun-cce-migration)
extends_documentation_fragment:
  - ctyun.cce_migration.attributes
requirements:
  - requests
options:
  images:
    description:
      - Images to copy, in order. Either a reference string C([host[:port]/]path[:tag][@sha256:digest]) or a dict.
      - A reference without a host is read from O(source_registry.url). Without tag and digest, C(latest) is meant.
        Docker Hub official images (C(docker.io/nginx)) get their C(library/) prefix.
      - A reference with a digest is read by digest; with a tag too (C(name:tag@digest)) the target gets the tag.
      - A dict has C(source) (reference), optional C(target) (reference; without tag or digest the source's tag
        or digest is used; without host the host of O(target_registry.url)), and optional C(mount_from) (a
        repository of the target registry that holds the blobs already).
      - Without C(target) the target name is the source name rewritten by O(repository_map); when no prefix
        matches, the source path on the host of O(target_registry.url).
    type: list
    elements: raw
    required: true
  source_registry:
    description: Where images are read from.
    type: dict
    default: {}
    suboptions:
      url:
        description:
          - Base URL of the registry, for example V(https://registry.cn-hangzhou.aliyuncs.com).
            C(https://) is assumed without a scheme.
          - When unset, the host written in each image reference is contacted over HTTPS, with these credentials.
          - When set, references naming another host are read from that host over HTTPS anonymously; the
            credentials and O(source_registry.ca_path) are only sent to this registry.
        type: str
      username:
        description: User name. Only needed when the registry asks for credentials.
        type: str
      password:
        description: Password or access token of O(source_registry.username).
        type: str
      validate_certs:
        description: Verify the registry's TLS certificate.
        type: bool
        default: true
      ca_path:
        description: PEM file of the CA that signed the registry's certificate.
        type: path
  target_registry:
    description:
      - Where images are written, for example the CTyun container image registry of the migration.
      - Same suboptions as O(source_registry).
    type: dict
    default: {}
    suboptions:
      url:
        description:
          - Base URL of the registry, for example V(https://registry.cn-hangzhou.aliyuncs.com).
            C(https://) is assumed without a scheme.
          - When unset, the host written in each image reference is contacted over HTTPS, with these credentials.
          - When set, the credentials and O(target_registry.ca_path) are only sent to this registry.
        type: str
      username:
        description: User name. Only needed when the registry asks for credentials.
        type: str
      password:
        description: Password or access token of O(target_registry.username).
        type: str
      validate_certs:
        description: Verify the registry's TLS certificate.
        type: bool
        default: true
      ca_path:
        description: PEM file of the CA that signed the registry's certificate.
        type: path
  repository_map:
    description:
      - Rewrites source image names (C(host/path)) to target names by prefix, whole path components only.
        The longest matching prefix wins.
      - 'A dict C({source prefix: target prefix}) or a list of C({from, to}), for example
        C({"registry.cn-hangzhou.aliyuncs.com/shop": "registry-cn-lab.ctyun.local/shop"}).'
      - A target prefix without host goes to the host of O(target_registry.url).
    type: raw
  concurrency:
    description: At most this many images, and at most this many blobs, are transferred at the same time.
    type: int
    default: 4
  chunk_size:
    description: Size in bytes of one C(PATCH) of a chunked upload (and the memory held per blob transfer).
    type: int
    default: 8388608
  chunk_threshold:
    description: Blobs up to this size in bytes are uploaded in one request, larger ones in chunks.
    type: int
    default: 33554432
  verify_blobs:
    description:
      - When the target tag already has the source digest, still check with C(HEAD) that every blob and
        platform manifest is there, and restore missing ones (outcome C(copied)).
    type: bool
    default: true
  timeout:
    description: Timeout in seconds of one HTTP request.
    type: int
    default: 60
  retries:
    description:
      - Retries after the first attempt, on connection errors, 429 and 5xx answers, with exponential backoff and
        jitter (the collection's retry policy) - of one read or manifest C(PUT), and of a whole blob upload, which
        is started again only after a C(HEAD) found the blob still absent on the target. V(0) disables retries.
    type: int
    default: 5
notes:
  - Requests are retried by the collection's retry policy (429, 5xx and connection errors, with backoff),
    reads and manifest C(PUT)s one by one; a blob upload that failed is restarted from its beginning, after a
    C(HEAD) found the blob absent on the target, at most O(retries) times.
  - Docker schema 1 manifests are refused (they cannot be copied with the same digest).
  - Check mode reads both registries (C(GET) and C(HEAD) only) and reports per image what would be copied and
    how many bytes.
seealso:
  - name: Image sync
    description: docs/image-sync.md in the collection.
    link: https://github.com/ctyun/cce_migration/blob/main/docs/image-sync.md
"""

EXAMPLES = r"""
- name: Copy the shop images to the CTyun registry
  ctyun.cce_migration.image_sync:
    images:
      - registry.cn-hangzhou.aliyuncs.com/shop/web:1.4.2
      - registry.example.com/shop/api@sha256:3f1c3a0d2b9e4c6f8a7b5d4e3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b
      - source: registry.cn-hangzhou.aliyuncs.com/base/nginx:1.25
        target: registry-cn-lab.ctyun.local/shop/nginx:1.25
    source_registry:
      url: https://registry.cn-hangzhou.aliyuncs.com
      username: "{{ vault_source_registry_user }}"
      password: "{{ vault_source_registry_password }}"
    target_registry:
      url: https://registry-cn-lab.ctyun.local
      username: "{{ vault_ctyun_registry_user }}"
      password: "{{ vault_ctyun_registry_password }}"
    repository_map:
      registry.cn-hangzhou.aliyuncs.com/shop: registry-cn-lab.ctyun.local/shop
    concurrency: 4
  register: synced

- name: Show what a copy would move (check mode reads only)
  ctyun.cce_migration.image_sync:
    images: "{{ (lookup('file', migration_workdir ~ '/assessment/assessment.json') | from_json).facts.images.items
                | map(attribute='image') | list }}"
    target_registry:
      url: https://registry-cn-lab.ctyun.local
    repository_map: "{{ registry_map }}"
  check_mode: true

- name: Use the registry map for the image rewrite of the target cluster
  ansible.builtin.set_fact:
    registry_map: "{{ synced.registry_map }}"
"""

RETURN = r"""
results:
  description: One entry per image of O(images), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    source:
      description: Source reference as resolved (with host and tag).
      type: str
      sample: registry.cn-hangzhou.aliyuncs.com/shop/web:1.4.2
    target:
      description: Target reference.
      type: str
      sample: registry-cn-lab.ctyun.local/shop/web:1.4.2
    digest:
      description: Digest of the top manifest (the index for a multi-architecture image); equal on both sides.
      type: str
      sample: sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
    media_type:
      description: Media type of the top manifest.
      type: str
      sample: application/vnd.oci.image.index.v1+json
    outcome:
      description:
        - C(copied) (in check mode, would be copied), C(unchanged) or C(failed).
      type: str
      sample: copied
    bytes:
      description: Blob bytes uploaded (in check mode, that would be uploaded). Mounted and skipped blobs count 0.
      type: int
    bytes_total:
      description: Size of all blobs of the image.
      type: int
    blobs_total:
      description: Number of distinct blobs (configs and layers of every platform).
      type: int
    blobs_skipped:
      description: Blobs already on the target.
      type: int
    blobs_mounted:
      description: Blobs mounted from another repository of the target registry.
      type: int
    blobs_uploaded:
      description: Blobs uploaded (in check mode, that would be uploaded).
      type: int
    manifests_pushed:
      description: Manifests written (platform manifests and the tagged one).
      type: int
    platforms:
      description: For an index, each platform manifest with its digest.
      type: list
      elements: dict
      sample: [{"digest": "sha256:...", "platform": "linux/amd64"}]
    target_digest_before:
      description: Digest the target reference had before the run (null when absent).
      type: str
    msg:
      description: Why the image failed.
      type: str
      returned: when outcome is failed
    would_copy:
      description: Digests of the blobs a real run would copy (missing in the target).
      type: list
      elements: str
      returned: in check mode, when the image would be copied
counts:
  description: Number of images per outcome, plus C(total).
  returned: always
  type: dict
  sample: {"copied": 2, "unchanged": 1, "failed": 0, "total": 3}
bytes:
  description: Sum of RV(results[].bytes).
  returned: always
  type: int
registry_map:
  description:
    - The image prefix map for the image rewrite of workloads, as a list of C({from, to}); C(override_policy)
      and the role variable C(registry_map) take this shape. One entry per O(repository_map) rule used, or
      C(from) source host and C(to) target host when the target host replaced the source host, or the full
      repository names for images with an explicit target.
  returned: always
  type: list
  elements: dict
  sample: [{"from": "registry.cn-hangzhou.aliyuncs.com/shop", "to": "registry-cn-lab.ctyun.local/shop"}]
registry_map_dict:
  description: RV(registry_map) as a dict, source prefix to target prefix.
  returned: always
  type: dict
requests:
  description: HTTP requests sent to the registries (both sides, token service included).
  returned: always
  type: int
"""

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.module import CceMigrationModule
from ansible_collections.ctyun.cce_migration.plugins.module_utils.registry.sync import run_image_sync

REGISTRY_SUBOPTIONS = dict(
    url=dict(type="str"),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
)


def argument_spec():
    return dict(
        images=dict(type="list", elements="raw", required=True),
        source_registry=dict(type="dict", default={}, options=dict(REGISTRY_SUBOPTIONS)),
        target_registry=dict(type="dict", default={}, options=dict(REGISTRY_SUBOPTIONS)),
        repository_map=dict(type="raw"),
        concurrency=dict(type="int", default=4),
        chunk_size=dict(type="int", default=8 * 1024 * 1024),
        chunk_threshold=dict(type="int", default=32 * 1024 * 1024),
        verify_blobs=dict(type="bool", default=True),
        timeout=dict(type="int", default=60),
        retries=dict(type="int", default=5),
    )


def work(mod):
    params = mod.params
    for name in ("concurrency", "chunk_size", "timeout"):
        if params[name] < 1:
            raise ValidationError("%s must be at least 1, got %d" % (name, params[name]), field=name)
    if params["chunk_threshold"] < 0:
        raise ValidationError("chunk_threshold must not be negative", field="chunk_threshold")
    out = run_image_sync(params, check_mode=mod.check_mode)
    for item in out["results"]:
        if item["outcome"] == "copied":
            mod.changed()
            mod.add_diff(dict(target=item["target"], digest=item["target_digest_before"]),
                         dict(target=item["target"], digest=item["digest"]), header=item["target"])
    failed = [r for r in out["results"] if r["outcome"] == "failed"]
    if failed:
        out["failed_msg"] = "%d of %d image(s) failed: %s" % (
            len(failed), len(out["results"]), "; ".join("%s: %s" % (r["source"], r.get("msg")) for r in failed))
    return out


def main():
    mod = CceMigrationModule(argument_spec(), supports_check_mode=True)
    mod.run(work)


if __name__ == "__main__":
    main()
