"""The Kubernetes REST layer against a tiny local server that counts requests and misbehaves on purpose.

Every call is bounded by the one retry policy: a merge patch against a server answering 503
sends at most ``policy.attempts`` requests, a create at most that many POSTs, each followed
by one lookup by name.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import (
    ApiError, ConflictError, NotFoundError, TransportError, ValidationError)
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.retry import RetryPolicy
from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.client import kubeconfig_files
from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s.rest import Rest, path_for

POLICY = RetryPolicy(attempts=4, backoff_factor=0, jitter=0)
TOKEN = "unit-token-0001"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        url = urlsplit(self.path)
        srv = self.server
        srv.requests.append(dict(method=self.command, path=url.path, query=parse_qs(url.query), body=body,
                                 headers=dict((k.lower(), v) for k, v in self.headers.items())))
        key = (self.command, url.path)
        steps = srv.script.get(key) or srv.script.get((self.command, "*")) or [(404, {"message": "no"})]
        step = steps.pop(0) if len(steps) > 1 else steps[0]
        if callable(step):
            step = step(self, body)
        if step == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        status, answer = step[0], step[1]
        headers = step[2] if len(step) > 2 else {}
        data = json.dumps(answer).encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.requests = []
    srv.script = {}
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def kubeconfig(srv, tmp_path, name="config"):
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": "lab",
           "clusters": [{"name": "lab", "cluster": {"server": "http://127.0.0.1:%d" % srv.server_address[1]}}],
           "users": [{"name": "lab", "user": {"token": TOKEN}}],
           "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "lab"}}]}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc))
    return path


def rest(srv, tmp_path, **kw):
    return Rest(dict(kubeconfig=str(kubeconfig(srv, tmp_path))), policy=POLICY, sleeper=lambda s: None, **kw)


def sent(srv, method):
    return [r for r in srv.requests if r["method"] == method]


DEPLOY = path_for("Deployment", "shop")
OBJ = {"metadata": {"name": "web", "namespace": "shop"}, "spec": {"replicas": 2}}


def test_merge_patch_against_503_sends_at_most_the_policy_attempts(server, tmp_path):
    server.script[("PATCH", DEPLOY + "/web")] = [(503, {"message": "busy"})]
    client = rest(server, tmp_path)
    with pytest.raises(ApiError) as err:
        client.merge_patch(DEPLOY + "/web", {"spec": {"replicas": 3}})
    assert err.value.status == 503
    assert len(server.requests) == POLICY.attempts == client.requests
    assert server.requests[0]["headers"]["content-type"] == "application/merge-patch+json"
    assert server.requests[0]["headers"]["authorization"] == "Bearer " + TOKEN


def test_read_is_replayed_after_throttling_and_a_lost_answer(server, tmp_path):
    server.script[("GET", DEPLOY + "/web")] = [(429, {"message": "slow"}, {"Retry-After": "0"}), "reset", (200, OBJ)]
    client = rest(server, tmp_path)
    assert client.get(DEPLOY + "/web") == OBJ
    assert len(server.requests) == 3


def test_client_errors_are_final(server, tmp_path):
    server.script[("PUT", DEPLOY + "/web")] = [(422, {"message": "spec.replicas: Invalid value"})]
    client = rest(server, tmp_path)
    with pytest.raises(ApiError) as err:
        client.replace(DEPLOY + "/web", OBJ)
    assert err.value.status == 422 and "Invalid value" in err.value.msg
    assert len(server.requests) == 1
    with pytest.raises(NotFoundError):
        client.get(DEPLOY + "/nothing")
    assert client.get(DEPLOY + "/nothing", missing_ok=True) is None
    assert len(server.requests) == 3


def test_create_against_503_posts_at_most_the_policy_attempts_each_with_one_lookup(server, tmp_path):
    server.script[("POST", DEPLOY)] = [(503, {"message": "busy"})]
    client = rest(server, tmp_path)
    with pytest.raises(ApiError):
        client.create(DEPLOY, OBJ)
    assert len(sent(server, "POST")) == POLICY.attempts
    assert [r["path"] for r in sent(server, "GET")] == [DEPLOY + "/web"] * POLICY.attempts


def test_create_whose_answer_was_lost_is_read_back_not_posted_again(server, tmp_path):
    server.script[("POST", DEPLOY)] = ["reset"]
    server.script[("GET", DEPLOY + "/web")] = [(200, OBJ)]
    client = rest(server, tmp_path)
    assert client.create(DEPLOY, OBJ) == OBJ
    assert len(sent(server, "POST")) == 1 and len(sent(server, "GET")) == 1


def test_create_conflict_is_raised_without_retry(server, tmp_path):
    server.script[("POST", DEPLOY)] = [(409, {"message": "deployments.apps \"web\" already exists"})]
    client = rest(server, tmp_path)
    with pytest.raises(ConflictError):
        client.create(DEPLOY, OBJ)
    assert len(server.requests) == 1


def test_connection_refused_is_a_transport_error_after_the_policy_attempts(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client = Rest(dict(host="http://127.0.0.1:%d" % port, api_key="x"), policy=POLICY, sleeper=lambda s: None)
    with pytest.raises(TransportError) as err:
        client.create(DEPLOY, OBJ)
    assert err.value.maybe_applied is False and "no answer" in err.value.msg
    # never reached the server: posted again without lookups, bounded by the attempts
    assert client.requests == POLICY.attempts


def test_list_returns_every_page_as_a_list(server, tmp_path):
    def page(handler, body):
        token = parse_qs(urlsplit(handler.path).query).get("continue", ["0"])[0]
        start = int(token)
        items = [{"metadata": {"name": "d%d" % i}} for i in range(start, min(start + 2, 5))]
        meta = {"continue": str(start + 2)} if start + 2 < 5 else {}
        return 200, {"items": items, "metadata": meta}
    server.script[("GET", DEPLOY)] = [page]
    client = rest(server, tmp_path)
    items = client.list(DEPLOY, limit=2)
    assert isinstance(items, list) and [i["metadata"]["name"] for i in items] == ["d0", "d1", "d2", "d3", "d4"]
    assert len(server.requests) == 3
    assert [r["query"]["limit"] for r in server.requests] == [["2"]] * 3


def test_dry_run_writes_ask_the_server_for_dry_run_all(server, tmp_path):
    server.script[("POST", DEPLOY)] = [(201, OBJ)]
    server.script[("PATCH", DEPLOY + "/web")] = [(200, OBJ)]
    server.script[("PUT", DEPLOY + "/web")] = [(200, OBJ)]
    client = rest(server, tmp_path)
    client.create(DEPLOY, OBJ, dry_run=True)
    client.merge_patch(DEPLOY + "/web", {"spec": {"replicas": 1}}, dry_run=True)
    client.replace(DEPLOY + "/web", OBJ, dry_run=True)
    client.create(DEPLOY, OBJ)
    assert [r["query"].get("dryRun") for r in server.requests] == [["All"], ["All"], ["All"], None]


def test_colon_separated_kubeconfig_is_merged_like_kubectl(server, tmp_path):
    full = yaml.safe_load(kubeconfig(server, tmp_path).read_text())
    users = tmp_path / "users"
    users.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "users": full["users"]}))
    rest_of = dict(full, users=[])
    rest_of.pop("users")
    clusters = tmp_path / "clusters"
    clusters.write_text(yaml.safe_dump(rest_of))
    server.script[("GET", DEPLOY + "/web")] = [(200, OBJ)]
    joined = ":".join([str(tmp_path / "missing"), str(clusters), str(users)])
    client = Rest(dict(kubeconfig=joined), policy=POLICY)
    assert client.get(DEPLOY + "/web") == OBJ
    assert server.requests[0]["headers"]["authorization"] == "Bearer " + TOKEN
    assert kubeconfig_files("~/a::/b") == [str(__import__("os").path.expanduser("~/a")), "/b"]


def test_kubeconfig_env_list_is_used(server, tmp_path, monkeypatch):
    path = kubeconfig(server, tmp_path)
    monkeypatch.setenv("KUBECONFIG", "%s:%s" % (tmp_path / "nope", path))
    server.script[("GET", DEPLOY + "/web")] = [(200, OBJ)]
    assert Rest(dict(), policy=POLICY).get(DEPLOY + "/web") == OBJ


def test_kubeconfig_of_missing_files_names_the_option(tmp_path):
    with pytest.raises(ValidationError) as err:
        Rest(dict(kubeconfig="%s:%s" % (tmp_path / "a", tmp_path / "b")))
    assert err.value.msg.startswith("kubeconfig:") and "do not exist" in err.value.msg


def test_the_client_under_test_is_the_one_expected():
    """``make oldest-client`` sets EXPECT_KUBERNETES: the overlay must really be the one imported;
    otherwise the client is the one requirements-dev.txt pins for the development environment."""
    import os
    import re
    from pathlib import Path

    import kubernetes
    expected = os.environ.get("EXPECT_KUBERNETES")
    if not expected:
        pins = Path(__file__).resolve().parents[2].joinpath("requirements-dev.txt").read_text()
        expected = re.search(r"^kubernetes==(\S+)$", pins, re.M).group(1)
    assert kubernetes.__version__ == expected


def test_a_client_older_than_the_floor_is_refused_by_name(monkeypatch):
    from ansible_collections.ctyun.cce_migration.plugins.module_utils.k8s import client
    monkeypatch.setattr(client, "client_version", lambda: (27, 2, 0))
    with pytest.raises(ValidationError) as err:
        client.build_configuration(dict(host="https://127.0.0.1:6443", api_key="x"))
    assert "27.2.0" in err.value.msg and "kubernetes>=28.1.0" in err.value.msg
