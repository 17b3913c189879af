"""image_sync against two real Distribution registries (Debian's docker-registry) on 127.0.0.1.

The source registry is open, the target asks for basic auth (htpasswd). Test images are built here
as an OCI layout (a two-platform OCI index with a layer above the chunk threshold, and a single
image pushed as Docker schema 2) and seeded with skopeo. Every test writes to its own target
repositories, so the tests do not depend on each other.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.integration.registry.harness import (
    LAB_PASSWORD,
    LAB_USER,
    FaultProxy,
    HttpFaultProxy,
    Registry,
    TokenServer,
    ensure_tools,
    start_lab,
    stop_lab,
)
from tests.lab.ctyunsim.standalone import self_signed_tls
from tests.utils.modrun import run_module

USER, PASSWORD = LAB_USER, LAB_PASSWORD
CHUNK = dict(chunk_threshold=100000, chunk_size=65536)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    missing = ensure_tools()
    if missing and os.environ.get("REQUIRE_REGISTRY_TOOLS") == "1":
        pytest.fail("registry tools missing although make test installs them (make system-deps): %s"
                    % ", ".join(missing))
    if missing:
        pytest.skip("registry tools missing (run tests/integration/registry/setup_registries.sh as root): %s"
                    % ", ".join(missing))
    lab = start_lab(tmp_path_factory.mktemp("registries"))
    yield lab
    stop_lab(lab)


def params(lab, images, prefix, **extra):
    src, dst = lab["src"], lab["dst"]
    out = dict(images=images, source_registry=dict(url=src.url),
               target_registry=dict(url=dst.url, username=USER, password=PASSWORD),
               repository_map={src.host + "/shop": dst.host + "/" + prefix}, **CHUNK)
    out.update(extra)
    return out


def child_digests(registry, repo, ref):
    doc = json.loads(registry.manifest(repo, ref))
    return [m["digest"] for m in doc.get("manifests") or []]


def blobs_of(registry, repo, digest):
    doc = json.loads(registry.manifest(repo, digest))
    return [doc["config"]["digest"]] + [layer["digest"] for layer in doc["layers"]]


def test_copy_index_and_schema2_keeps_digests(lab):
    src, dst = lab["src"], lab["dst"]
    result = run_module("image_sync", params(lab, ["shop/web:1.0", "shop/tool:2.0"], "copy"))
    assert not result.failed, result.get("msg")
    assert result["changed"] is True
    assert [r["outcome"] for r in result["results"]] == ["copied", "copied"]
    web, tool = result["results"]
    # index digest and each platform digest equal on both sides
    assert web["digest"] == src.manifest_digest("shop/web", "1.0") == lab["index"]["digest"]
    assert dst.manifest_digest("copy/web", "1.0") == web["digest"]
    assert dst.manifest("copy/web", "1.0") == src.manifest("shop/web", "1.0")
    children = child_digests(src, "shop/web", "1.0")
    assert children == [lab["amd"]["digest"], lab["arm"]["digest"]]
    assert [p["digest"] for p in web["platforms"]] == children
    assert [p["platform"] for p in web["platforms"]] == ["linux/amd64", "linux/arm64"]
    for child in children:
        assert dst.manifest_digest("copy/web", child) == child
        for blob in blobs_of(src, "shop/web", child):
            assert dst.has_blob("copy/web", blob)
    assert web["media_type"] == "application/vnd.oci.image.index.v1+json"
    assert web["blobs_uploaded"] == web["blobs_total"] == 6
    assert web["bytes"] == web["bytes_total"] > 400000
    assert web["manifests_pushed"] == 3
    assert tool["media_type"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert dst.manifest_digest("copy/tool", "2.0") == src.manifest_digest("shop/tool", "2.0") == tool["digest"]
    assert result["bytes"] == web["bytes"] + tool["bytes"]
    assert result["counts"]["copied"] == 2
    assert result["registry_map"] == [{"from": src.host + "/shop", "to": dst.host + "/copy"}]


def test_docker_manifest_list_keeps_digests(lab):
    src, dst = lab["src"], lab["dst"]
    result = run_module("image_sync", params(lab, ["shop/weblist:1.0"], "list"))
    assert not result.failed, result.get("msg")
    r = result["results"][0]
    assert r["media_type"] == "application/vnd.docker.distribution.manifest.list.v2+json"
    assert dst.manifest("list/weblist", "1.0") == src.manifest("shop/weblist", "1.0")
    children = child_digests(src, "shop/weblist", "1.0")
    assert [p["digest"] for p in r["platforms"]] == children and len(children) == 2
    for child in children:
        assert dst.manifest_digest("list/weblist", child) == child
        assert json.loads(dst.manifest("list/weblist", child))["mediaType"] == \
            "application/vnd.docker.distribution.manifest.v2+json"


def test_same_registry_copy_mounts_every_blob(lab):
    dst = lab["dst"]
    first = run_module("image_sync", params(lab, ["shop/tool:2.0"], "same"))
    assert not first.failed, first.get("msg")
    mark = dst.log_mark()
    creds = dict(url=dst.url, username=USER, password=PASSWORD)
    result = run_module("image_sync", dict(images=["same/tool:2.0"], source_registry=creds, target_registry=creds,
                                           repository_map={dst.host + "/same": dst.host + "/same-copy"}))
    assert not result.failed, result.get("msg")
    r = result["results"][0]
    assert r["blobs_mounted"] == r["blobs_total"] == 3 and r["bytes"] == 0
    assert dst.manifest_digest("same-copy/tool", "2.0") == first["results"][0]["digest"]
    assert not any('"PATCH ' in line for line in dst.writes_since(mark))


def test_rerun_is_unchanged_and_writes_nothing(lab):
    dst = lab["dst"]
    p = params(lab, ["shop/web:1.0", "shop/tool:2.0"], "rerun")
    first = run_module("image_sync", p)
    assert not first.failed, first.get("msg")
    mark = dst.log_mark()
    second = run_module("image_sync", p)
    assert not second.failed, second.get("msg")
    assert second["changed"] is False
    assert [r["outcome"] for r in second["results"]] == ["unchanged", "unchanged"]
    assert second["bytes"] == 0
    assert [r["digest"] for r in second["results"]] == [r["digest"] for r in first["results"]]
    assert [r["target_digest_before"] for r in second["results"]] == [r["digest"] for r in first["results"]]
    assert dst.writes_since(mark) == []


def test_check_mode_lists_bytes_and_writes_nothing(lab):
    dst = lab["dst"]
    mark = dst.log_mark()
    result = run_module("image_sync", params(lab, ["shop/web:1.0"], "checkonly"), check=True)
    assert not result.failed, result.get("msg")
    assert result["changed"] is True
    web = result["results"][0]
    assert web["outcome"] == "copied"
    assert web["bytes"] == web["bytes_total"] > 400000
    assert len(web["would_copy"]) == 6
    assert dst.writes_since(mark) == []
    assert dst.manifest_digest("checkonly/web", "1.0") is None


def test_digest_reference_and_explicit_target(lab):
    src, dst = lab["src"], lab["dst"]
    digest = src.manifest_digest("shop/tool", "2.0")
    images = ["%s/shop/tool@%s" % (src.host, digest),
              {"source": "shop/web:1.0", "target": "explicit/web-mirror:stable"}]
    result = run_module("image_sync", params(lab, images, "bydigest"))
    assert not result.failed, result.get("msg")
    by_digest, explicit = result["results"]
    assert by_digest["target"] == "%s/bydigest/tool@%s" % (dst.host, digest)
    assert dst.manifest_digest("bydigest/tool", digest) == digest
    assert dst.tags("bydigest/tool") == []          # pushed by digest: no tag invented
    assert dst.manifest_digest("explicit/web-mirror", "stable") == lab["index"]["digest"]


def test_mount_from_another_target_repository(lab):
    dst = lab["dst"]
    base = run_module("image_sync", params(lab, ["shop/web:1.0"], "mountbase"))
    assert not base.failed, base.get("msg")
    mark = dst.log_mark()
    result = run_module("image_sync", params(lab, [{"source": "shop/web:1.0", "target": "mounted/web",
                                                    "mount_from": "mountbase/web"}], "unused"))
    assert not result.failed, result.get("msg")
    r = result["results"][0]
    assert r["outcome"] == "copied"
    assert r["blobs_mounted"] == r["blobs_total"] == 6
    assert r["blobs_uploaded"] == 0 and r["bytes"] == 0
    assert dst.manifest_digest("mounted/web", "1.0") == lab["index"]["digest"]
    writes = dst.writes_since(mark)
    assert not any('"PATCH ' in line for line in writes)
    assert sum("mount=" in line for line in writes) == 6


def test_missing_blob_is_restored(lab):
    dst = lab["dst"]
    p = params(lab, ["shop/tool:2.0"], "restore")
    first = run_module("image_sync", p)
    assert not first.failed, first.get("msg")
    blobs = blobs_of(dst, "restore/tool", first["results"][0]["digest"])
    dst.delete_blob("restore/tool", blobs[-1])
    assert not dst.has_blob("restore/tool", blobs[-1])
    second = run_module("image_sync", p)
    assert not second.failed, second.get("msg")
    r = second["results"][0]
    assert r["outcome"] == "copied" and second["changed"] is True
    assert r["blobs_uploaded"] == 1 and r["blobs_skipped"] == r["blobs_total"] - 1
    assert r["manifests_pushed"] == 0
    assert dst.has_blob("restore/tool", blobs[-1])
    third = run_module("image_sync", p)
    assert third["results"][0]["outcome"] == "unchanged"


def test_bad_credentials_fail_before_any_write(lab):
    dst = lab["dst"]
    before = sorted(dst.catalog())
    mark = dst.log_mark()
    p = params(lab, ["shop/web:1.0"], "badcreds")
    p["target_registry"]["password"] = "wrong"
    result = run_module("image_sync", p)
    assert result.failed
    assert "rejected the credentials" in result["msg"] and USER in result["msg"]
    assert "wrong" not in result.stdout.replace("VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", "")
    p["target_registry"].pop("username")
    p["target_registry"].pop("password")
    result = run_module("image_sync", p)
    assert result.failed
    assert "requires authentication" in result["msg"] and "target registry" in result["msg"]
    assert dst.writes_since(mark) == []
    assert sorted(dst.catalog()) == before


def test_malformed_input_fails_before_any_contact(lab):
    dst = lab["dst"]
    mark = dst.log_mark()
    for images, needle in ((["shop/Web:1.0"], "images[0]"), (["shop/web:1.0", "shop/web@sha256:abc"], "images[1]"),
                           ([{"source": "shop/web", "tag": "x"}], "unknown key")):
        result = run_module("image_sync", params(lab, images, "bad"))
        assert result.failed and needle in result["msg"], result.get("msg")
    assert dst.writes_since(mark) == []


def test_connection_cut_mid_blob_leaves_no_tag_and_resumes(lab):
    src, dst = lab["src"], lab["dst"]
    proxy = FaultProxy(dst.port)
    try:
        p = params(lab, ["shop/web:1.0"], "cut", concurrency=1, retries=1)
        p["target_registry"]["url"] = proxy.url
        p["repository_map"] = {src.host + "/shop": "127.0.0.1:%d/cut" % proxy.port}
        # Budget: the small blobs and part of the 400 kB layer go through, then the line is cut
        # and the "registry" stays unreachable.
        proxy.arm(200000)
        failed = run_module("image_sync", p)
        assert failed.failed
        assert failed["results"][0]["outcome"] == "failed"
        assert "target tag not written" in failed["results"][0]["msg"]
        proxy.heal()
        assert dst.manifest_digest("cut/web", "1.0") is None
        assert dst.tags("cut/web") == []
        present = [b for child in (lab["amd"]["digest"], lab["arm"]["digest"])
                   for b in blobs_of(src, "shop/web", child) if dst.has_blob("cut/web", b)]
        resumed = run_module("image_sync", p)
        assert not resumed.failed, resumed.get("msg")
        r = resumed["results"][0]
        assert r["outcome"] == "copied"
        assert r["blobs_skipped"] == len(present)
        assert r["blobs_uploaded"] == r["blobs_total"] - len(present)
        assert dst.manifest_digest("cut/web", "1.0") == lab["index"]["digest"]
    finally:
        proxy.close()


def test_registry_gone_between_manifests_leaves_no_tag(lab):
    """The target goes away after the first platform manifest was written: the tag must not exist."""
    src, dst = lab["src"], lab["dst"]
    proxy = FaultProxy(dst.port)
    try:
        p = params(lab, ["shop/web:1.0"], "gone", concurrency=1, retries=0)
        p["target_registry"]["url"] = proxy.url
        p["repository_map"] = {src.host + "/shop": "127.0.0.1:%d/gone" % proxy.port}
        proxy.cut_on(b"PUT /v2/gone/web/manifests/", occurrence=2)
        result = run_module("image_sync", p)
        proxy.heal()
        assert result.failed
        assert result["results"][0]["outcome"] == "failed"
        # every blob and the first platform manifest landed, the second platform and the tag did not
        assert dst.manifest_digest("gone/web", lab["amd"]["digest"]) == lab["amd"]["digest"]
        assert dst.manifest_digest("gone/web", lab["arm"]["digest"]) is None
        assert dst.manifest_digest("gone/web", "1.0") is None
        assert dst.tags("gone/web") == []
        again = run_module("image_sync", p)
        assert not again.failed, again.get("msg")
        r = again["results"][0]
        assert r["blobs_skipped"] == r["blobs_total"] and r["bytes"] == 0
        assert dst.manifest_digest("gone/web", "1.0") == lab["index"]["digest"]
    finally:
        proxy.close()


@pytest.fixture(scope="module")
def token_registry(lab, tmp_path_factory):
    """A third registry: HTTPS with its own CA, Bearer token auth from a token service."""
    work = tmp_path_factory.mktemp("token-registry")
    _ctx, cert_path = self_signed_tls(str(work))
    token = TokenServer(work, {"deployer": "token-pass-9"}, anonymous_pull=True)
    registry = Registry(work, "tokenreg", token=token, tls=(cert_path, str(work / "ctyun-lab.key"))).start()
    yield registry
    registry.stop()
    token.close()


def test_bearer_token_auth_over_tls(lab, token_registry):
    src, dst = lab["src"], token_registry
    p = dict(images=["shop/web:1.0", "shop/tool:2.0"], source_registry=dict(url=src.url),
             target_registry=dict(url=dst.url, username="deployer", password="token-pass-9", ca_path=str(dst.tls[0])),
             repository_map={src.host + "/shop": dst.host + "/tok"}, concurrency=1, **CHUNK)
    result = run_module("image_sync", p)
    assert not result.failed, result.get("msg")
    assert [r["outcome"] for r in result["results"]] == ["copied", "copied"]
    assert dst.manifest_digest("tok/web", "1.0") == lab["index"]["digest"]
    assert dst.manifest_digest("tok/tool", "2.0") == src.manifest_digest("shop/tool", "2.0")
    asked = [scopes for user, scopes in dst.token.requests if user == "deployer"]
    assert any("repository:tok/web:pull,push" in scopes for scopes in asked)
    # tool shares its base layer with web: mounted from tok/web, which the run filled first
    web, tool = result["results"]
    assert tool["blobs_mounted"] == 1 and tool["blobs_uploaded"] == tool["blobs_total"] - 1
    assert any({"repository:tok/tool:pull,push", "repository:tok/web:pull"} <= set(scopes) for scopes in asked)
    again = run_module("image_sync", p)
    assert [r["outcome"] for r in again["results"]] == ["unchanged", "unchanged"]


def test_bearer_and_tls_failures_are_clear_and_write_nothing(lab, token_registry):
    src, dst = lab["src"], token_registry
    mark = dst.log_mark()
    base = dict(images=["shop/tool:2.0"], source_registry=dict(url=src.url),
                repository_map={src.host + "/shop": dst.host + "/tokfail"})
    wrong = run_module("image_sync", dict(base, target_registry=dict(
        url=dst.url, username="deployer", password="nope", ca_path=str(dst.tls[0]))))
    assert wrong.failed and "token service" in wrong["msg"] and "rejected the credentials of user 'deployer'" in wrong[
        "msg"]
    anonymous = run_module("image_sync", dict(base, target_registry=dict(url=dst.url, ca_path=str(dst.tls[0]))))
    assert anonymous.failed and "requires authentication (token service" in anonymous["msg"]
    untrusted = run_module("image_sync", dict(base, target_registry=dict(
        url=dst.url, username="deployer", password="token-pass-9")))
    assert untrusted.failed and "TLS certificate verification failed" in untrusted["msg"]
    assert "target_registry.ca_path" in untrusted["msg"]
    assert dst.writes_since(mark) == []
    assert dst.manifest_digest("tokfail/tool", "2.0") is None


def test_one_missing_image_fails_alone_and_order_is_kept(lab):
    dst = lab["dst"]
    images = ["shop/web:1.0", "shop/missing:9.9", "shop/tool:2.0"]
    result = run_module("image_sync", params(lab, images, "mixed", concurrency=3), diff=True)
    assert result.failed
    assert "1 of 3 image(s) failed" in result["msg"] and "shop/missing:9.9" in result["msg"]
    assert [r["source"].split("/", 1)[1] for r in result["results"]] == ["shop/web:1.0", "shop/missing:9.9",
                                                                          "shop/tool:2.0"]
    assert [r["outcome"] for r in result["results"]] == ["copied", "failed", "copied"]
    assert "not found on the source registry" in result["results"][1]["msg"]
    assert result["counts"]["copied"] == 2 and result["counts"]["failed"] == 1
    assert dst.manifest_digest("mixed/web", "1.0") == lab["index"]["digest"]
    assert dst.manifest_digest("mixed/missing", "9.9") is None
    diffs = result["diff"]
    assert [d["after"]["digest"] for d in diffs] == [result["results"][0]["digest"], result["results"][2]["digest"]]
    assert all(d["before"]["digest"] is None for d in diffs)


def test_anonymous_bearer_pull_from_a_public_registry(lab, token_registry):
    """Source = the token registry without credentials (anonymous pull tokens, like a public registry)."""
    pub, dst = token_registry, lab["dst"]
    seeded = run_module("image_sync", dict(
        images=["shop/tool:2.0"], source_registry=dict(url=lab["src"].url),
        target_registry=dict(url=pub.url, username="deployer", password="token-pass-9", ca_path=str(pub.tls[0])),
        repository_map={lab["src"].host + "/shop": pub.host + "/public"}))
    assert not seeded.failed, seeded.get("msg")
    result = run_module("image_sync", dict(
        images=["public/tool:2.0"], source_registry=dict(url=pub.url, ca_path=str(pub.tls[0])),
        target_registry=dict(url=dst.url, username=USER, password=PASSWORD),
        repository_map={pub.host + "/public": dst.host + "/from-public"}))
    assert not result.failed, result.get("msg")
    assert result["results"][0]["outcome"] == "copied"
    assert dst.manifest_digest("from-public/tool", "2.0") == seeded["results"][0]["digest"]
    assert ("anonymous" in {user for user, _scopes in pub.token.requests})


def test_transient_errors_are_retried(lab):
    """429 (Retry-After 0) on a manifest read and 503 on blob reads are retried; the copy completes."""
    src, dst = lab["src"], lab["dst"]
    proxy = HttpFaultProxy(src.port)
    try:
        proxy.fail("GET", "/manifests/", 429, times=1, retry_after=0)
        proxy.fail("GET", "/blobs/sha256:", 503, times=2)
        p = params(lab, ["shop/tool:2.0"], "retried", concurrency=1)
        p["source_registry"]["url"] = proxy.url
        p["repository_map"] = {"127.0.0.1:%d/shop" % proxy.port: dst.host + "/retried"}
        p["images"] = ["127.0.0.1:%d/shop/tool:2.0" % proxy.port]
        result = run_module("image_sync", p)
        assert not result.failed, result.get("msg")
        assert result["results"][0]["outcome"] == "copied"
        assert dst.manifest_digest("retried/tool", "2.0") == src.manifest_digest("shop/tool", "2.0")
        injected = [entry for entry in proxy.log if entry[2] in (429, 503)]
        assert sorted(status for _m, _p, status in injected) == [429, 503, 503]
        # each injected answer was followed by the same request succeeding
        for method, path, _status in injected:
            assert (method, path, 200) in proxy.log
    finally:
        proxy.close()


def test_target_registry_process_stopped_mid_blob(lab, tmp_path):
    """The target registry process is stopped while a chunked blob upload runs; after a restart on the
    same storage, no tag exists and the next run completes the copy."""
    src = lab["src"]
    target = Registry(tmp_path, "stoppable").start()
    proxy = FaultProxy(target.port)
    try:
        p = dict(images=["shop/web:1.0"], source_registry=dict(url=src.url), target_registry=dict(url=proxy.url),
                 repository_map={src.host + "/shop": "127.0.0.1:%d/stop" % proxy.port}, concurrency=1, retries=1,
                 **CHUNK)
        proxy.on_pattern(b"PATCH /v2/stop/web/blobs/uploads/", target.stop)
        result = run_module("image_sync", p)
        assert result.failed and result["results"][0]["outcome"] == "failed"
        assert target.proc is None                      # the hook really stopped the registry
        target.start()                                  # same port, same storage
        assert target.manifest_digest("stop/web", "1.0") is None
        assert target.tags("stop/web") == []
        again = run_module("image_sync", p)
        assert not again.failed, again.get("msg")
        assert again["results"][0]["blobs_skipped"] >= 1
        assert target.manifest_digest("stop/web", "1.0") == lab["index"]["digest"]
    finally:
        proxy.close()
        target.stop()


def test_blob_upload_against_503_is_bounded_by_the_retry_policy(lab):
    """The target answers 503 to every final PUT of a blob upload: with retries=2 the module starts
    the upload of each blob at most 3 times (each after a HEAD found it absent) and writes no tag."""
    import collections
    src, dst = lab["src"], lab["dst"]
    proxy = HttpFaultProxy(dst.port)
    try:
        proxy.fail("PUT", "/blobs/uploads/", 503, times=100)
        p = params(lab, ["shop/tool:2.0"], "bounded", concurrency=1, retries=2)
        p["target_registry"]["url"] = proxy.url
        p["repository_map"] = {src.host + "/shop": "127.0.0.1:%d/bounded" % proxy.port}
        result = run_module("image_sync", p)
        assert result.failed and result["results"][0]["outcome"] == "failed"
        puts = [e for e in proxy.log if e[0] == "PUT" and "/blobs/uploads/" in e[1]]
        posts = [e for e in proxy.log if e[0] == "POST" and "/blobs/uploads/" in e[1]]
        per_blob = collections.Counter(path.split("digest=")[1] for _m, path, _s in puts)
        assert per_blob and set(per_blob.values()) == {3}, per_blob
        assert all(status == 503 for _m, _p, status in puts)
        assert len(posts) == len(puts)
        assert dst.tags("bounded/tool") == []
    finally:
        proxy.close()
