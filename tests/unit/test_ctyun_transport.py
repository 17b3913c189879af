"""Retry policy of the CTyun client against a tiny local HTTP server that misbehaves on purpose."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from types import SimpleNamespace

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.common import retry as common_retry
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.errors import ApiError, NotFoundError
from ansible_collections.ctyun.cce_migration.plugins.module_utils.common.retry import DEFAULT_POLICY, RetryPolicy
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import transport as tr
from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun.client import CtyunClient

SECRET = "SKunit-secret-value-0001"


def envelope(obj=None, status=800, error=None, message="ok"):
    body = {"statusCode": status, "message": message, "returnObj": obj}
    if error:
        body["error"] = error
    return body


class Script:
    """What the server answers, one step per request; the last step repeats."""

    def __init__(self, steps):
        self.steps = list(steps)
        self.requests = []

    def next(self, handler):
        self.requests.append((handler.command, handler.path, dict(handler.headers)))
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        return step


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _any(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        step = self.server.script.next(self)
        if step == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        status, headers, body = step
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _any


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def make_client(srv, steps, **kwargs):
    srv.script = Script(steps)
    params = dict(access_key="AKunit", secret_key=SECRET, region_id="cn-test-1",
                  endpoint="http://127.0.0.1:%d" % srv.server_address[1], timeout=5)
    return CtyunClient(params, sleeper=lambda s: None, **kwargs), srv.script


def test_get_retried_on_429_503_and_reset_then_succeeds(server):
    client, script = make_client(server, [
        (429, {"Retry-After": "0"}, envelope(status=900, error="Throttled")),
        (503, {}, b"busy"),
        "reset",
        (200, {}, envelope({"records": [], "total": 0})),
    ])
    assert client.call("GET", "/v2/cce/clusters/page", query={"pageNow": 1}) == {"records": [], "total": 0}
    assert len(script.requests) == 4
    assert all(r[0] == "GET" for r in script.requests)


def test_post_create_is_not_replayed_by_transport_on_reset(server):
    client, script = make_client(server, ["reset", (200, {}, envelope({"clusterID": "c-1"}))])
    with pytest.raises(tr.TransportError) as exc:
        client.call("POST", "/v2/cce/clusters/create", body={"clusterName": "x"})
    assert exc.value.maybe_applied is True
    assert len(script.requests) == 1
    assert SECRET not in str(exc.value) and SECRET not in repr(exc.value.details)


def test_create_checks_by_name_before_retrying(server):
    client, script = make_client(server, ["reset", (200, {}, envelope({"clusterID": "c-2"}))])
    lookups = []

    def lookup_found():
        lookups.append(1)
        return {"clusterId": "c-1", "clusterName": "x"}

    answer, existing = client.create("/v2/cce/clusters/create", {"clusterName": "x"}, lookup=lookup_found)
    assert (answer, existing) == (None, {"clusterId": "c-1", "clusterName": "x"})
    assert len(script.requests) == 1 and len(lookups) == 1


def test_create_retried_when_lookup_finds_nothing(server):
    client, script = make_client(server, [
        (503, {}, envelope(status=900, error="Busy")),
        (200, {}, envelope({"clusterID": "c-3"})),
    ])
    answer, existing = client.create("/v2/cce/clusters/create", {"clusterName": "x"}, lookup=lambda: None)
    assert answer == {"clusterID": "c-3"} and existing is None
    assert [r[0] for r in script.requests] == ["POST", "POST"]


def test_http_200_with_failure_envelope_raises_with_code_and_request_id(server):
    client, script = make_client(server, [(200, {}, envelope(status=900, error="CCE_QUOTA_EXCEEDED",
                                                              message="cluster quota exceeded"))])
    with pytest.raises(ApiError) as exc:
        client.call("GET", "/v2/cce/quotas/query")
    err = exc.value
    assert err.code == "CCE_QUOTA_EXCEEDED" and err.status == 200
    assert "cluster quota exceeded" in err.msg
    assert err.request_id == script.requests[0][2]["ctyun-eop-request-id"]
    assert len(script.requests) == 1


def test_older_code_envelope_and_not_found(server):
    client, _ = make_client(server, [(200, {}, {"code": 800, "returnObj": {"a": 1}})])
    assert client.call("GET", "/x") == {"a": 1}
    client, _ = make_client(server, [(404, {}, envelope(status=900, error="CCE_CLUSTER_NOT_FOUND"))])
    with pytest.raises(NotFoundError):
        client.call("GET", "/v2/cce/clusters/nope")


def test_retries_stop_at_the_time_budget(server):
    client, script = make_client(server, [(503, {}, b"busy")], policy=DEFAULT_POLICY.replace(max_total=0.0))
    with pytest.raises(ApiError) as exc:
        client.call("GET", "/x")
    assert exc.value.status == 503
    assert len(script.requests) <= 2


def test_a_session_with_the_policys_retry_stops_at_the_time_budget(server, monkeypatch):
    """Every ``requests`` session mounting the common policy's urllib3 Retry (CTyun, registries, the
    Kubernetes typed API) has the budget. Time is a fake clock that urllib3's waits advance."""
    import requests
    import urllib3.util.retry as urllib3_retry
    from requests.adapters import HTTPAdapter

    now = [0.0]
    monkeypatch.setattr(common_retry, "time", SimpleNamespace(monotonic=lambda: now[0], time=time.time))
    monkeypatch.setattr(urllib3_retry.time, "sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    server.script = Script([(503, {}, b"busy")])
    policy = RetryPolicy(attempts=50, backoff_factor=1, backoff_max=10, jitter=0, max_total=20)
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", HTTPAdapter(max_retries=policy.urllib3_retry()))
    answer = session.get("http://127.0.0.1:%d/x" % server.server_address[1], timeout=5)
    assert answer.status_code == 503
    # requests at 0, 0, 2, 6, 14 s and 20 s (the wait of 10 s after the fifth shortened to 6 s)
    assert len(server.script.requests) == 6
    assert now[0] == 20.0


def test_signed_headers_sent_and_secret_never_sent(server):
    client, script = make_client(server, [(200, {}, envelope({}))])
    client.call("GET", "/x", query={"a": "b c"})
    method, path, headers = script.requests[0]
    assert path == "/x?a=b%20c"
    assert headers["regionId"] == "cn-test-1"
    assert headers["Eop-Authorization"].startswith("AKunit Headers=ctyun-eop-request-id;eop-date Signature=")
    assert SECRET not in json.dumps(headers)


def test_retry_after_is_capped_by_the_policy_and_budget():
    retry = DEFAULT_POLICY.replace(max_total=5.0).urllib3_retry()

    class Resp:
        headers = {"Retry-After": "3600"}

        def getheader(self, name, default=None):
            return self.headers.get(name, default)

    assert retry.get_retry_after(Resp()) <= 5.0


def test_tls_verification_on_by_default():
    transport = tr.Transport("https://example.invalid")
    assert transport.verify is True
    assert tr.Transport("https://example.invalid", ca_path="/ca.pem").verify == "/ca.pem"
    assert tr.Transport("https://example.invalid", validate_certs=False).verify is False


def test_retry_after_value_is_the_wait_used(server, monkeypatch):
    import urllib3.util.retry as retry_mod

    waits = []
    monkeypatch.setattr(retry_mod.time, "sleep", lambda s: waits.append(s))
    client, script = make_client(server, [
        (429, {"Retry-After": "7"}, envelope(status=900, error="Throttled")),
        (200, {}, envelope({"ok": True})),
    ])
    assert client.call("GET", "/v2/cce/metadata/versions") == {"ok": True}
    assert len(script.requests) == 2
    assert waits and waits[0] == pytest.approx(7.0)


def test_backoff_has_jitter_and_a_ceiling():
    from urllib3.util.retry import RequestHistory

    def retry_after_failures(count):
        history = tuple(RequestHistory("GET", "/x", None, 503, None) for _ in range(count))
        return DEFAULT_POLICY.urllib3_retry().new(history=history)

    values = {retry_after_failures(3).get_backoff_time() for _ in range(20)}
    assert len(values) > 1 and all(1.2 <= v <= 1.5 for v in values)
    assert max(retry_after_failures(12).get_backoff_time() for _ in range(20)) <= 8.0


def test_relative_put_is_not_replayed_by_the_transport(server):
    """A scale-up (PUT, relative) goes through the connect-only session: a lost answer comes back to the
    caller, which reads the pool before deciding anything (cce_ops.scale_pool)."""
    client, script = make_client(server, ["reset", (200, {}, envelope("scale-1"))])
    with pytest.raises(tr.TransportError):
        client.call("PUT", "/v2/cce/clusters/c/nodepool/n/scaleup", body={"num": 2}, idempotent=False)
    assert len(script.requests) == 1
    client2, script2 = make_client(server, ["reset", (200, {}, envelope(True))])
    assert client2.call("PUT", "/v2/cce/clusters/c/tags", body={"tags": []}) is True
    assert len(script2.requests) == 2


def test_user_agent_names_the_collection_and_content_type_only_with_a_body(server):
    client, script = make_client(server, [(200, {}, envelope([])), (200, {}, envelope(True))])
    client.call("GET", "/v2/cce/metadata/versions")
    client.call("PUT", "/v2/cce/clusters/c/tags", body={"tags": []})
    (get_headers, put_headers) = [r[2] for r in script.requests]
    assert get_headers["User-Agent"].startswith("ctyun.cce_migration/")
    assert "Content-Type" not in get_headers and put_headers["Content-Type"] == "application/json"
