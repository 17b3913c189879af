"""Image references, repository mapping, registry map, auth challenges and sync planning (no network)."""

from __future__ import annotations

import hashlib
import json

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ValidationError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.registry import client as rc
from ansible_collections.ctyun.cce_migration.plugins.module_utils.registry import reference as ref
from ansible_collections.ctyun.cce_migration.plugins.module_utils.registry.sync import Syncer

D = "sha256:" + "a" * 64


@pytest.mark.parametrize("text,host,path,tag,digest", [
    ("nginx", None, "nginx", "latest", None),
    ("shop/web:1.2", None, "shop/web", "1.2", None),
    ("registry.cn-hangzhou.aliyuncs.com/shop/web:1.2", "registry.cn-hangzhou.aliyuncs.com", "shop/web", "1.2", None),
    ("127.0.0.1:5000/a/b", "127.0.0.1:5000", "a/b", "latest", None),
    ("localhost/x", "localhost", "x", "latest", None),
    ("localhost:5000/x:v1", "localhost:5000", "x", "v1", None),
    ("r.io/a/b@" + D, "r.io", "a/b", None, D),
    ("r.io/a/b:v1@" + D, "r.io", "a/b", "v1", D),
    ("r.io/a__b/c-d.e_f:V1.0-rc", "r.io", "a__b/c-d.e_f", "V1.0-rc", None),
    ("My.Registry.io/shop/web", "My.Registry.io", "shop/web", "latest", None),
])
def test_parse(text, host, path, tag, digest):
    parsed = ref.parse(text)
    assert (parsed.host, parsed.path, parsed.tag, parsed.digest) == (host, path, tag, digest)
    assert parsed.ref == (digest or tag)


@pytest.mark.parametrize("text,needle", [
    ("", "non-empty"),
    ("Shop/web", "component 'Shop'"),
    ("shop//web", "empty path"),
    ("shop/web:", "not a valid tag"),
    ("shop/web:" + "x" * 129, "not a valid tag"),
    ("shop/web@sha256:abc", "not a valid digest"),
    ("shop/web@sha512:" + "a" * 128, "only sha256"),
    ("r.io/-web", "component '-web'"),
    ("r_io:5000/web", "not a valid registry host"),
])
def test_parse_rejects(text, needle):
    with pytest.raises(ValidationError) as err:
        ref.parse(text, field="images[3]")
    assert "images[3]" in err.value.msg and needle in err.value.msg


@pytest.mark.parametrize("value,expected", [
    (None, []),
    ({"a.io/shop": "b.io/shop", "a.io": "b.io/mirror"}, [("a.io/shop", "b.io/shop"), ("a.io", "b.io/mirror")]),
    ([{"from": "a.io", "to": "b.io"}, {"from": "a.io/x/y", "to": "b.io/z"}],
     [("a.io/x/y", "b.io/z"), ("a.io", "b.io")]),
    ({"a.io/shop/": "/b.io/shop/"}, [("a.io/shop", "b.io/shop")]),
])
def test_normalise_map(value, expected):
    assert ref.normalise_map(value) == expected


@pytest.mark.parametrize("value,needle", [
    ("a.io=b.io", "must be a dict"),
    ([{"from": "a.io"}], "'from' and 'to'"),
    ({"a.io": ""}, "non-empty"),
    ({"a.io/Shop": "b.io"}, "component 'Shop'"),
    ([{"from": "a.io", "to": "b.io"}, {"from": "a.io/", "to": "c.io"}], "mapped twice"),
])
def test_normalise_map_rejects(value, needle):
    with pytest.raises(ValidationError) as err:
        ref.normalise_map(value)
    assert needle in err.value.msg


@pytest.mark.parametrize("name,expected", [
    ("a.io/shop/web", "b.io/cn/shop/web"),
    ("a.io/shop", "b.io/cn/shop"),
    ("a.io/shopping/web", "b.io/other/shopping/web"),   # whole components only
    ("a.io/shop/team/api", "b.io/team-api"),            # longest prefix wins
    ("c.io/web", None),
])
def test_map_name(name, expected):
    pairs = ref.normalise_map({"a.io/shop": "b.io/cn/shop", "a.io": "b.io/other",
                               "a.io/shop/team/api": "b.io/team-api"})
    assert ref.map_name(name, pairs)[0] == expected


def test_docker_hub_official_images_get_library():
    (pair,) = ref.resolve_images(["docker.io/nginx:1.25"], None, "b.io", {"docker.io": "b.io/hub"})
    assert str(pair.source) == "docker.io/library/nginx:1.25"
    assert str(pair.target) == "b.io/hub/library/nginx:1.25"
    assert ref.url_for_host("docker.io") == "https://registry-1.docker.io"


def test_resolve_images_and_registry_map():
    images = ["shop/web:1.0",
              "a.io/base/nginx@" + D,
              {"source": "a.io/shop/api:2", "target": "special/api"},
              {"source": "a.io/shop/db:3", "target": "c.io/db", "mount_from": "shop/db-old"},
              "a.io/tools/x"]
    pairs = ref.resolve_images(images, "a.io", "b.io", {"a.io/shop": "b.io/cn/shop", "a.io/base": "cn/base"})
    assert [str(p.source) for p in pairs] == ["a.io/shop/web:1.0", "a.io/base/nginx@" + D, "a.io/shop/api:2",
                                              "a.io/shop/db:3", "a.io/tools/x:latest"]
    assert [str(p.target) for p in pairs] == ["b.io/cn/shop/web:1.0", "b.io/cn/base/nginx@" + D, "b.io/special/api:2",
                                              "c.io/db:3", "b.io/tools/x:latest"]
    assert pairs[3].mount_from == "shop/db-old"
    assert ref.registry_map(pairs) == [
        {"from": "a.io/shop", "to": "b.io/cn/shop"},
        {"from": "a.io/base", "to": "b.io/cn/base"},
        {"from": "a.io/shop/api", "to": "b.io/special/api"},
        {"from": "a.io/shop/db", "to": "c.io/db"},
        {"from": "a.io", "to": "b.io"},
    ]


@pytest.mark.parametrize("images,src,dst,rmap,needle", [
    ([], "a.io", "b.io", None, "non-empty list"),
    (["web"], None, "b.io", None, "images[0]: 'web' names no registry host"),
    (["a.io/web"], None, None, None, "no repository_map prefix matches"),
    ([{"target": "x"}], "a.io", "b.io", None, "needs 'source'"),
    ([{"source": "a.io/w", "tgt": "x"}], "a.io", "b.io", None, "unknown key(s) tgt"),
    ([{"source": "a.io/w:1", "target": "b.io/w@" + D}], "a.io", "b.io", None, "needs a source pinned"),
    (["a.io/x/web:1", {"source": "a.io/y/web:1", "target": "b.io/x/web:1"}], "a.io", "b.io", None, "also the target"),
    (["a.io/web"], "a.io", "b.io", {"a.io": "Bad"}, "component 'Bad'"),
])
def test_resolve_images_rejects(images, src, dst, rmap, needle):
    with pytest.raises(ValidationError) as err:
        ref.resolve_images(images, src, dst, rmap)
    assert needle in err.value.msg


@pytest.mark.parametrize("header,scheme,params", [
    ('Bearer realm="https://auth.io/token",service="registry.io",scope="repository:a/b:pull"', "bearer",
     {"realm": "https://auth.io/token", "service": "registry.io", "scope": "repository:a/b:pull"}),
    ('Basic realm="reg"', "basic", {"realm": "reg"}),
    ("Bearer realm=https://x/t,service=s", "bearer", {"realm": "https://x/t", "service": "s"}),
    (None, None, {}),
])
def test_parse_challenge(header, scheme, params):
    assert rc.parse_challenge(header) == (scheme, params)


def test_add_query_keeps_upload_state():
    assert rc.add_query("http://r/v2/a/blobs/uploads/u?_state=xyz", digest=D) == \
        "http://r/v2/a/blobs/uploads/u?_state=xyz&digest=sha256%3A" + "a" * 64


# -- a fake registry at the session level: Bearer token dance ------------------------------

class FakeResponse(object):
    def __init__(self, status, headers=None, body=b""):
        self.status_code = status
        self.headers = headers or {}
        self.content = body
        self.text = body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content.decode("utf-8"))

    def close(self):
        pass


def test_bearer_token_fetched_per_scope_with_credentials(monkeypatch):
    client = rc.RegistryClient("https://reg.io", username="u", password="p", label="target registry")
    calls = []
    manifest = json.dumps({"schemaVersion": 2, "mediaType": rc.OCI_MANIFEST, "config": {}, "layers": []}).encode()

    def request(method, url, headers=None, **kw):
        if url.startswith("https://auth.io/"):
            return get(url, **kw)
        calls.append((method, url, (headers or {}).get("Authorization")))
        if (headers or {}).get("Authorization") != "Bearer tok-pull":
            return FakeResponse(401, {"WWW-Authenticate": 'Bearer realm="https://auth.io/token",service="reg.io"'})
        return FakeResponse(200, {"Content-Type": rc.OCI_MANIFEST}, manifest)

    def get(url, params=None, auth=None, timeout=None, **kw):
        calls.append(("TOKEN", url, params, auth))
        return FakeResponse(200, {}, json.dumps({"token": "tok-pull"}).encode())

    monkeypatch.setattr(client.session, "request", request)
    got = client.get_manifest("a/b", "v1")
    assert got.digest == "sha256:" + hashlib.sha256(manifest).hexdigest()
    assert calls[1] == ("TOKEN", "https://auth.io/token", [("service", "reg.io"), ("scope", "repository:a/b:pull")],
                        ("u", "p"))
    client.get_manifest("a/b", "v1")          # cached token: one request, no token call
    assert [c[0] for c in calls] == ["GET", "TOKEN", "GET", "GET"]


def test_bearer_token_rejected_names_user(monkeypatch):
    client = rc.RegistryClient("https://reg.io", username="u", password="bad", label="source registry")
    monkeypatch.setattr(client.session, "request", lambda method, url, **k: FakeResponse(401) if url.startswith(
        "https://auth.io/") else FakeResponse(
        401, {"WWW-Authenticate": 'Bearer realm="https://auth.io/token",service="reg.io"'}))
    with pytest.raises(rc.AuthError) as err:
        client.get_manifest("a/b", "v1")
    assert "rejected the credentials of user 'u'" in err.value.msg


def test_basic_without_credentials_says_what_to_set(monkeypatch):
    client = rc.RegistryClient("https://reg.io", label="target registry")
    monkeypatch.setattr(client.session, "request",
                        lambda *a, **k: FakeResponse(401, {"WWW-Authenticate": 'Basic realm="r"'}))
    with pytest.raises(rc.AuthError) as err:
        client.check_access()
    assert "requires authentication (Basic): set username and password of the target registry" in err.value.msg


def test_schema1_is_refused(monkeypatch):
    client = rc.RegistryClient("https://reg.io")
    body = json.dumps({"schemaVersion": 1, "name": "a"}).encode()
    monkeypatch.setattr(client.session, "request", lambda *a, **k: FakeResponse(
        200, {"Content-Type": "application/vnd.docker.distribution.manifest.v1+prettyjws"}, body))
    with pytest.raises(rc.RegistryError) as err:
        client.get_manifest("a", "v1")
    assert "schema 1" in err.value.msg


# -- planning with in-memory registries ----------------------------------------------------

class MemRegistry(object):
    """Just enough of RegistryClient for Syncer.plan/preview."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.manifests = {}     # (repo, ref) -> Manifest
        self.blobs = {}         # (repo, digest) -> size
        self.requests = 0

    def push(self, repo):
        return ("push:" + repo,)

    def get_manifest(self, repo, ref_):
        self.requests += 1
        return self.manifests[(repo, ref_)]

    def manifest_digest(self, repo, ref_, scopes=None):
        self.requests += 1
        m = self.manifests.get((repo, ref_))
        return m.digest if m else None

    def blob_size(self, repo, digest, scopes=None):
        self.requests += 1
        return self.blobs.get((repo, digest))


def image(config_size, layer_sizes, seed):
    def desc(kind, i, size):
        return {"mediaType": kind, "digest": "sha256:" + hashlib.sha256(("%s%s%d" % (seed, kind, i)).encode())
                .hexdigest(), "size": size}
    doc = {"schemaVersion": 2, "mediaType": rc.OCI_MANIFEST, "config": desc("config", 0, config_size),
           "layers": [desc("layer", i, s) for i, s in enumerate(layer_sizes)]}
    return rc.Manifest(json.dumps(doc).encode(), rc.OCI_MANIFEST), doc


def test_plan_counts_missing_bytes_per_platform():
    src, dst = MemRegistry("https://a.io"), MemRegistry("https://b.io")
    amd, amd_doc = image(10, [100, 1000], "amd")
    arm, arm_doc = image(11, [100, 2000], "arm")
    index_doc = {"schemaVersion": 2, "mediaType": rc.OCI_INDEX, "manifests": [
        {"mediaType": rc.OCI_MANIFEST, "digest": amd.digest, "size": len(amd.data),
         "platform": {"os": "linux", "architecture": "amd64"}},
        {"mediaType": rc.OCI_MANIFEST, "digest": arm.digest, "size": len(arm.data),
         "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}}]}
    index = rc.Manifest(json.dumps(index_doc).encode(), rc.OCI_INDEX)
    src.manifests.update({("shop/web", "1"): index, ("shop/web", amd.digest): amd, ("shop/web", arm.digest): arm})
    # the target already has the amd64 layer of 1000 bytes
    dst.blobs[("cn/web", amd_doc["layers"][1]["digest"])] = 1000
    pairs = ref.resolve_images(["shop/web:1"], "a.io", "b.io", {"a.io/shop": "b.io/cn"})
    syncer = Syncer(lambda side, host: src if side == "source" else dst, concurrency=2)
    plan = syncer.plan(pairs)[0]
    preview = syncer.preview(plan)
    assert preview["outcome"] == "copied"
    assert preview["blobs_total"] == 6
    assert preview["blobs_uploaded"] == 5 and preview["blobs_skipped"] == 1
    assert preview["bytes"] == 10 + 100 + 11 + 100 + 2000
    assert preview["bytes_total"] == preview["bytes"] + 1000
    assert preview["manifests_pushed"] == 3
    assert [p["platform"] for p in preview["platforms"]] == ["linux/amd64", "linux/arm/v7"]
    # target already complete -> unchanged
    dst.manifests.update({("cn/web", "1"): index, ("cn/web", amd.digest): amd, ("cn/web", arm.digest): arm})
    for doc in (amd_doc, arm_doc):
        for d in [doc["config"]] + doc["layers"]:
            dst.blobs[("cn/web", d["digest"])] = d["size"]
    assert syncer.preview(syncer.plan(pairs)[0])["outcome"] == "unchanged"
    # one blob lost -> repaired (copied), tag left as is
    del dst.blobs[("cn/web", arm_doc["layers"][1]["digest"])]
    again = syncer.preview(syncer.plan(pairs)[0])
    assert (again["outcome"], again["bytes"], again["manifests_pushed"]) == ("copied", 2000, 0)


def test_plan_reports_missing_source_per_image():
    src, dst = MemRegistry("https://a.io"), MemRegistry("https://b.io")

    def missing(repo, ref_):
        from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import NotFoundError
        raise NotFoundError("GET answered 404 MANIFEST_UNKNOWN", status=404)
    src.get_manifest = missing
    syncer = Syncer(lambda side, host: src if side == "source" else dst)
    plan = syncer.plan(ref.resolve_images(["a.io/x:1"], None, "b.io"))[0]
    out = syncer.preview(plan)
    assert out["outcome"] == "failed" and "a.io/x:1 not found on the source registry" in out["msg"]


@pytest.mark.parametrize("status,expected", [(200, 42), (307, -1), (404, None)])
def test_blob_size_head(monkeypatch, status, expected):
    client = rc.RegistryClient("https://reg.io")
    monkeypatch.setattr(client.session, "request", lambda *a, **k: FakeResponse(status, {"Content-Length": "42"}))
    assert client.blob_size("a", D) == expected


def test_manifest_digest_mismatch_is_refused(monkeypatch):
    client = rc.RegistryClient("https://reg.io")
    body = json.dumps({"schemaVersion": 2, "mediaType": rc.OCI_MANIFEST, "layers": []}).encode()
    monkeypatch.setattr(client.session, "request", lambda *a, **k: FakeResponse(
        200, {"Content-Type": rc.OCI_MANIFEST}, body))
    with pytest.raises(rc.DigestMismatch):
        client.get_manifest("a", D)


def test_credentials_only_go_to_the_configured_registry():
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.registry.sync import ClientPool
    pool = ClientPool(dict(url="https://a.io", username="u", password="p", ca_path="/ca.pem"),
                      dict(username="t", password="q"))
    mine, other = pool("source", "a.io"), pool("source", "docker.io")
    assert (mine.base_url, mine.username, mine.verify) == ("https://a.io", "u", "/ca.pem")
    assert (other.base_url, other.username, other.password, other.verify) == (
        "https://registry-1.docker.io", None, None, True)
    # no target url: the credentials go to the host each reference names
    target = pool("target", "b.io")
    assert (target.base_url, target.username) == ("https://b.io", "t")
    pool.close()


@pytest.mark.parametrize("opts,needle", [
    (dict(password="p"), "password given without username"),
    (dict(username="u"), "given without password"),
    (dict(url="ftp://x"), "not an http(s) URL"),
])
def test_client_pool_rejects(opts, needle):
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.registry.sync import ClientPool
    with pytest.raises(ValidationError) as err:
        ClientPool(opts, {})
    assert needle in err.value.msg and "source_registry" in err.value.msg


def test_retry_policy_only_replays_idempotent_calls():
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.registry.sync import ClientPool
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.retry import DEFAULT_POLICY
    client = rc.RegistryClient("https://reg.io", policy=DEFAULT_POLICY.replace(attempts=3))
    retry = client.session.get_adapter("https://reg.io/v2/").max_retries
    assert set(retry.allowed_methods) == {"GET", "HEAD", "PUT"}
    assert retry.total == 2 and 503 in retry.status_forcelist and 429 in retry.status_forcelist
    upload = client.upload_session.get_adapter("https://reg.io/v2/").max_retries
    assert upload.status == upload.read == 0 and upload.connect == 2 and not upload.status_forcelist
    default = ClientPool({}, {})("source", "a.io")
    assert default.session.get_adapter("https://a.io/").max_retries.total == DEFAULT_POLICY.attempts - 1


# -- blob uploads: one retry policy, bounded requests ---------------------------------------

def _upload_fixture(monkeypatch, put_answers, present_after=None):
    """A target client whose sessions are scripted; returns (syncer, plan, blob, src, dst, log)."""
    from types import SimpleNamespace

    from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.retry import RetryPolicy
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.registry.sync import BlobPlan, ImagePlan

    data = b"layer-bytes" * 10
    digest = rc.sha256_digest(data)
    dst = rc.RegistryClient("https://reg.io", policy=RetryPolicy(attempts=3, backoff_factor=0, jitter=0))
    log = []
    puts = list(put_answers)

    def upload(method, url, **kw):
        log.append(method)
        if method == "POST":
            return FakeResponse(202, {"Location": "/v2/shop/web/blobs/uploads/u%d" % len(log)})
        answer = puts.pop(0) if len(puts) > 1 else puts[0]
        if isinstance(answer, Exception):
            raise answer
        return FakeResponse(answer, {"Docker-Content-Digest": digest})

    def read(method, url, **kw):
        log.append(method)
        present = present_after is not None and log.count("PUT") >= present_after
        return FakeResponse(200 if present else 404, {"Content-Length": str(len(data))})

    monkeypatch.setattr(dst.upload_session, "request", upload)
    monkeypatch.setattr(dst.session, "request", read)

    class Source(object):
        base_url = "https://src.io"

        def open_blob(self, repo, dig):
            return SimpleNamespace(iter_content=lambda chunk_size: iter([data]), close=lambda: None)

    pair = SimpleNamespace(source=SimpleNamespace(path="shop/web"),
                           target=SimpleNamespace(path="shop/web", host="reg.io"), mount_from=None)
    syncer = Syncer(lambda side, host: dst, sleeper=lambda s: None)
    return syncer, ImagePlan(pair), BlobPlan(digest, len(data), "layer"), Source(), dst, log


def test_blob_upload_against_503_is_bounded_by_the_policy(monkeypatch):
    syncer, plan, blob, src, dst, log = _upload_fixture(monkeypatch, [503])
    with pytest.raises(rc.RegistryError) as err:
        syncer._copy_blob(plan, blob, src, dst)
    assert err.value.status == 503
    # one whole upload (POST + final PUT) per attempt, one HEAD before and one lookup after each
    assert log.count("PUT") == log.count("POST") == dst.policy.attempts == 3
    assert log.count("HEAD") == 1 + dst.policy.attempts


def test_blob_upload_whose_answer_was_lost_is_found_not_sent_again(monkeypatch):
    import requests
    syncer, plan, blob, src, dst, log = _upload_fixture(
        monkeypatch, [requests.exceptions.ConnectionError("Connection aborted.")], present_after=1)
    assert syncer._copy_blob(plan, blob, src, dst) == ("uploaded", blob.size)
    assert log == ["HEAD", "POST", "PUT", "HEAD"]


def test_blob_upload_client_error_is_not_retried(monkeypatch):
    syncer, plan, blob, src, dst, log = _upload_fixture(monkeypatch, [400])
    with pytest.raises(rc.RegistryError):
        syncer._copy_blob(plan, blob, src, dst)
    assert log == ["HEAD", "POST", "PUT"]


def test_requests_errors_become_the_collections_transport_error(monkeypatch):
    import requests
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import TransportError
    client = rc.RegistryClient("https://reg.io")

    def refuse(*a, **k):
        raise requests.exceptions.SSLError("CERTIFICATE_VERIFY_FAILED")
    monkeypatch.setattr(client.session, "request", refuse)
    with pytest.raises(TransportError) as err:
        client.get_manifest("a", "v1")
    assert isinstance(err.value, rc.RegistryError) and err.value.details["tls"] is True
    assert err.value.maybe_applied is False
