"""CTyun ELB simulation: the provider's calls, fields, envelope and validation through hand-signed
requests, clientToken replays, and, with a real HAProxy behind it, real HTTP requests through the
lab's public entry: weighted splits, no failed request while weights change and a target leaves,
health from HAProxy's checks, 5xx answers in the realtime monitor.

The HAProxy tests start the load balancer themselves with small backends on 127.0.0.1 (the lab's
own wiring gives it the clusters' entries instead).
"""

from __future__ import annotations

import asyncio
import collections
import http.server
import json
import socket
import threading
import time
import types
import uuid

import pytest
import requests

from tests.lab.ctyunsim import table
from tests.lab.ctyunsim.standalone import StubLab, serve
from tests.lab.tests.test_ctyun_sim import sign
from tests.utils.polling import steady

SEED = table.ELB_SEED
REGION = SEED["region"]
WRR, RR, NOHC = SEED["target_group"], SEED["rr_target_group"], SEED["unchecked_target_group"]
BAD = table.ELB_ERRORS["bad_request"]


def elb(server, call, **fields):
    """One ELB call, signed by hand; GET fields go in the query, POST fields in the JSON body."""
    method, path = table.ELB_PATHS[call]
    fields.setdefault("regionID", REGION)
    fields = {k: v for k, v in fields.items() if v is not None}
    if method == "GET":
        query, raw = fields, b""
    else:
        query, raw = {}, json.dumps(fields, separators=(",", ":")).encode()
    qs, headers = sign(query, raw)
    resp = requests.request(method, server.url + path + ("?" + qs if qs else ""), headers=headers,
                            data=raw or None, timeout=15)
    return resp.status_code, resp.json()


def ok(server, call, **fields):
    status, env = elb(server, call, **fields)
    assert (status, env["statusCode"], env["errorCode"]) == (200, 800, "SUCCESS"), env
    return env["returnObj"]


def fails(server, call, code=BAD, **fields):
    status, env = elb(server, call, **fields)
    assert status == 200, (status, env)
    assert (env["statusCode"], env["errorCode"], env["returnObj"]) == (900, code, None), env
    assert env["message"] and env["description"]
    return env


def create(server, port, group=WRR, token=None, **extra):
    body = dict(clientToken=token or str(uuid.uuid4()), targetGroupID=group, instanceType="IP",
                instanceIP="127.0.0.1", protocolPort=port)
    body.update(extra)
    (item,) = ok(server, "create_target", **body)
    return item["ID"]


def show(server, target_id):
    return ok(server, "show_target", targetID=target_id)


def wait_health(server, target_id, want, timeout=10.0):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        got = show(server, target_id)["healthCheckStatus"]
        if not seen or seen[-1] != got:
            seen.append(got)
        if got == want:
            return seen
        time.sleep(0.1)
    raise AssertionError("%s never became %s: %s" % (target_id, want, seen))


# -- the simulation alone (no load balancer behind it) -------------------------------------------
@pytest.fixture
def sim():
    lab = StubLab({"LAB_ELB_ONLINE_S": "0.3"})
    server = serve(lab)
    server.lab = lab
    yield server
    server.stop()


def test_envelope_and_seeded_groups_health_check_and_source_target(sim):
    status, env = elb(sim, "show_target_group", targetGroupID=WRR)
    assert status == 200
    assert {k: env[k] for k in ("statusCode", "errorCode", "message", "description")} == {
        "statusCode": 800, "errorCode": "SUCCESS", "message": "success", "description": "\u6210\u529f"}
    (group,) = env["returnObj"]                          # a list, as the provider's struct
    assert (group["ID"], group["algorithm"], group["healthCheckID"], group["status"]) == (
        WRR, "wrr", SEED["health_check"], "ACTIVE")
    assert group["vpcID"] and group["sessionSticky"]["sessionStickyMode"] == "CLOSE"
    assert ok(sim, "show_target_group", targetGroupID=RR)[0]["algorithm"] == "rr"
    assert ok(sim, "show_target_group", ID=NOHC)[0]["healthCheckID"] == ""      # the retiring ID field
    check = ok(sim, "show_health_check", healthCheckID=SEED["health_check"])
    assert {k: check[k] for k in ("protocol", "httpMethod", "httpUrlPath", "httpExpectedCodes", "status")} == {
        "protocol": "HTTP", "httpMethod": "GET", "httpUrlPath": "/healthz", "httpExpectedCodes": "http_2xx",
        "status": 1}
    assert check["interval"] >= 1 and check["maxRetry"] >= 1 and check["timeout"] >= 1
    assert ok(sim, "show_health_check", id=SEED["health_check"])["ID"] == SEED["health_check"]
    (target,) = ok(sim, "list_target", targetGroupID=WRR)
    assert (target["ID"], target["instanceType"], target["weight"], target["status"]) == (
        SEED["source_target"], "IP", 100, "ACTIVE")
    assert target["protocolPort"] == table.ELB_UNBOUND_SOURCE_PORT     # no load balancer: no entry port
    assert "instanceIP" not in target and not any(k.startswith("_") for k in target)
    assert ok(sim, "list_target", targetGroupID=RR) == []
    assert [t["ID"] for t in ok(sim, "list_target")] == [SEED["source_target"]]    # the whole region


@pytest.mark.parametrize("change", [
    {"weight": 0}, {"weight": 257}, {"weight": -1}, {"weight": "100"}, {"weight": True}, {"weight": 1.5},
    {"protocolPort": 0}, {"protocolPort": 65536}, {"protocolPort": None}, {"protocolPort": "80"},
    {"clientToken": ""}, {"clientToken": "x" * 65}, {"clientToken": None}, {"clientToken": 7},
    {"instanceType": "XX"}, {"instanceType": None}, {"instanceIP": None}, {"instanceIP": "10.0.0.300"},
    {"instanceType": "VM", "instanceIP": None}, {"targetGroupID": None}, {"regionID": "nowhere"},
    {"targetGroupId": WRR},
])
def test_create_target_is_validated(sim, change):
    body = dict(clientToken=str(uuid.uuid4()), targetGroupID=WRR, instanceType="IP", instanceIP="127.0.0.1",
                protocolPort=8080, weight=10)
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    if "regionID" not in change:
        body["regionID"] = REGION
    method, path = table.ELB_PATHS["create_target"]
    raw = json.dumps(body).encode()
    qs, headers = sign({}, raw)
    resp = requests.post(sim.url + path, headers=headers, data=raw, timeout=10)
    env = resp.json()
    assert (resp.status_code, env["statusCode"], env["errorCode"], env["returnObj"]) == (200, 900, BAD, None), env
    assert len(ok(sim, "list_target", targetGroupID=WRR)) == 1          # nothing added


def test_ranges_bounds_and_defaults(sim):
    low = create(sim, 1, weight=1, token="t" * 64)
    high = create(sim, 65535, weight=256, token="u")
    assert (show(sim, low)["weight"], show(sim, high)["weight"]) == (1, 256)
    default = create(sim, 8080)                                        # weight omitted: the API's 100
    assert show(sim, default)["weight"] == 100
    vm = create(sim, 8081, instanceType="VM", instanceIP=None, instanceID="ecs-lab0001")
    assert show(sim, vm)["instanceID"] == "ecs-lab0001"
    assert show(sim, default)["instanceID"] == "127.0.0.1"                # an IP target shows its IP there
    assert ok(sim, "update_target", targetID=default, protocolPort=8080, weight=7) == [{"ID": default}]
    assert show(sim, default)["weight"] == 7
    ok(sim, "update_target", targetID=default, protocolPort=8080)          # no weight: back to the default
    assert show(sim, default)["weight"] == 100
    ok(sim, "update_target", ID=default, weight=5)                          # the retiring ID field
    assert show(sim, default)["weight"] == 5
    ok(sim, "update_target", ID="target-nothere00", targetID=default, weight=6)   # targetID wins
    assert show(sim, default)["weight"] == 6
    for weight in (0, 257):
        fails(sim, "update_target", targetID=default, weight=weight)
    fails(sim, "update_target", targetID=default, protocolPort=0, weight=6)
    assert show(sim, default)["weight"] == 6
    env = fails(sim, "create_target", code=table.ELB_ERRORS["target_exists"], clientToken="again",
                targetGroupID=WRR, instanceType="IP", instanceIP="127.0.0.1", protocolPort=8080)
    assert default in env["message"]


def test_client_token_replay_adds_nothing(sim):
    first = ok(sim, "create_target", clientToken="token-1", targetGroupID=WRR, instanceType="IP",
               instanceIP="127.0.0.1", protocolPort=9000, weight=3)
    again = ok(sim, "create_target", clientToken="token-1", targetGroupID=WRR, instanceType="IP",
               instanceIP="127.0.0.1", protocolPort=9000, weight=3)
    assert again == first
    assert len(ok(sim, "list_target", targetGroupID=WRR)) == 2
    target_id = first[0]["ID"]
    gone = ok(sim, "delete_target", clientToken="token-2", targetID=target_id)
    assert ok(sim, "delete_target", clientToken="token-2", targetID=target_id) == gone == [{"ID": target_id}]
    fails(sim, "delete_target", code=table.ELB_ERRORS["target_not_found"], clientToken="token-3", targetID=target_id)
    fails(sim, "delete_target", clientToken="", targetID=target_id)
    assert [t["ID"] for t in ok(sim, "list_target", targetGroupID=WRR)] == [SEED["source_target"]]
    writes = [(r["method"], r["path"], r["write"]) for r in sim.lab.request_log]
    assert ("POST", "/v4/elb/create-target", True) in writes and ("GET", "/v4/elb/list-target", False) in writes


def test_create_answered_by_a_lost_response_exists_once(sim):
    sim.lab.knobs.update(LAB_FAULT_RATE="1", LAB_FAULT_KIND="lost_response", LAB_FAULT_METHODS="POST",
                         LAB_FAULT_PATHS="/v4/elb/create-target")
    body = dict(clientToken="lost-1", targetGroupID=WRR, instanceType="IP", instanceIP="127.0.0.1",
                protocolPort=9100, weight=9)
    with pytest.raises(requests.ConnectionError):
        elb(sim, "create_target", **body)
    sim.lab.knobs["LAB_FAULT_RATE"] = "0"
    (item,) = ok(sim, "create_target", **body)                            # the retry, same clientToken
    targets = ok(sim, "list_target", targetGroupID=WRR)
    assert [t["ID"] for t in targets if t["protocolPort"] == 9100] == [item["ID"]]


def test_unknown_ids_are_not_found(sim):
    codes = table.ELB_ERRORS
    for call, fields, code in [
        ("show_target", dict(targetID="target-nothere00"), codes["target_not_found"]),
        ("update_target", dict(targetID="target-nothere00", weight=5), codes["target_not_found"]),
        ("delete_target", dict(clientToken="t", targetID="target-nothere00"), codes["target_not_found"]),
        ("show_target_group", dict(targetGroupID="tg-nothere000"), codes["target_group_not_found"]),
        ("list_target", dict(targetGroupID="tg-nothere000"), codes["target_group_not_found"]),
        ("create_target", dict(clientToken="t2", targetGroupID="tg-nothere000", instanceType="IP",
                               instanceIP="127.0.0.1", protocolPort=80), codes["target_group_not_found"]),
        ("show_health_check", dict(healthCheckID="hc-nothere000"), codes["health_check_not_found"]),
        ("show_target", dict(targetID=SEED["source_target"], regionID="cn-gz3"), codes["target_not_found"]),
        ("realtime_monitor", dict(deviceIDs=["lb-nothere000"]), codes["load_balancer_not_found"]),
    ]:
        env = fails(sim, call, code=code, **fields)
        assert "not found" in env["message"] and table.NOT_EXIST in env["description"], env
    fails(sim, "show_target")                                             # no targetID at all


def test_health_unknown_then_online_without_load_balancer(sim):
    target_id = create(sim, 8443)
    assert show(sim, target_id)["healthCheckStatus"] == "unknown"
    assert wait_health(sim, target_id, "online", timeout=5)[0] == "unknown"
    unchecked = create(sim, 8443, group=NOHC)
    steady(lambda: show(sim, unchecked)["healthCheckStatus"], "unknown", 0.5,  # no health check, no verdict
           what="health of a target without health check")


def test_realtime_monitor_shape_and_paging(sim):
    status, env = elb(sim, "realtime_monitor", deviceIDs=[SEED["load_balancer"]], pageNo=1, pageSize=10)
    assert (status, env["statusCode"], env["errorCode"]) == (200, 800, "SUCCESS")
    assert (env["totalCount"], env["currentCount"], env["totalPage"]) == (1, 1, 1)
    (device,) = env["returnObj"]
    assert (device["deviceID"], device["regionID"]) == (SEED["load_balancer"], REGION)
    item = device["itemList"][-1]
    for key in ("lbReqRate", "lbHrsp2xx", "lbHrsp3xx", "lbHrsp4xx", "lbHrsp5xx", "lbHrspOther", "lbActconn",
                "lbNewcreate"):
        assert isinstance(item[key], str) and float(item[key]) == 0, (key, item)
    assert isinstance(item["samplingTime"], int) and abs(item["samplingTime"] - time.time()) < 120
    for bad in ({"pageSize": 51}, {"pageSize": 0}, {"deviceIDs": []}, {"deviceIDs": None}, {"pageNo": 0}):
        fields = dict(deviceIDs=[SEED["load_balancer"]])
        fields.update(bad)
        fails(sim, "realtime_monitor", **fields)


def test_signature_is_checked_on_elb_calls(sim):
    method, path = table.ELB_PATHS["show_target"]
    qs, headers = sign({"regionID": REGION, "targetID": SEED["source_target"]}, b"")
    headers["Eop-Authorization"] = headers["Eop-Authorization"][:-2] + "AA"
    resp = requests.get(sim.url + path + "?" + qs, headers=headers, timeout=10)
    assert resp.status_code == 401 and resp.json()["error"] == "EOP_AUTH_SIGNATURE_MISMATCH"


# -- with a real HAProxy -----------------------------------------------------------------------
class Backend:
    """A tiny HTTP server on 127.0.0.1: answers its name (``code`` on every path but /healthz, which is
    200 unless ``healthy`` is False); ``/slow`` waits half a second; counts the requests it served."""

    def __init__(self, name, code=200, healthy=True):
        self.name, self.code, self.healthy = name, code, healthy
        self.hits = 0
        self.slow_hits = 0
        self.lock = threading.Lock()
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                if self.path == "/healthz":
                    code = 200 if backend.healthy else 500
                else:
                    with backend.lock:
                        backend.hits += 1
                        backend.slow_hits += self.path == "/slow"
                    if self.path == "/slow":
                        time.sleep(0.5)
                    code = backend.code
                body = backend.name.encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass           # health checks close their connection early

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lb(tmp_path):
    from tests.lab.traffic.haproxy import BalancerError, haproxy_binary, start_balancer

    try:
        haproxy_binary()
    except BalancerError as exc:
        pytest.skip(str(exc))
    backends = {name: Backend(name, code) for name, code in (("source", 200), ("cce", 200), ("broken", 503))}
    balancer = asyncio.run(start_balancer(tmp_path, seeded_targets=[("127.0.0.1", backends["source"].port)]))
    lab = StubLab()
    lab.traffic = types.SimpleNamespace(balancer=balancer)
    server = serve(lab)
    server.lab = lab
    try:
        yield types.SimpleNamespace(server=server, balancer=balancer, backends=backends,
                                    url=balancer.public_url, lab_dir=tmp_path)
    finally:
        server.stop()
        balancer.stop()
        for backend in backends.values():
            backend.close()
    assert balancer.process.poll() is not None


def send(url, count, path="/"):
    with requests.Session() as session:
        return [(r.status_code, r.text) for r in (session.get(url + path, timeout=10) for _ in range(count))]


def test_seeded_source_target_is_the_balancers_entry(lb):
    (target,) = ok(lb.server, "list_target", targetGroupID=WRR)
    assert target["ID"] == SEED["source_target"]
    assert target["protocolPort"] == lb.backends["source"].port
    wait_health(lb.server, SEED["source_target"], "online", timeout=10)
    assert collections.Counter(send(lb.url, 20)) == {(200, "source"): 20}
    config = (lb.lab_dir / "haproxy.cfg").read_text()
    assert "bind 127.0.0.1:%d" % lb.balancer.public_port in config and "retries 0" in config
    assert "uri /healthz" in config and (lb.lab_dir / "haproxy.sock").exists()


def test_weights_split_real_requests(lb):
    cce = create(lb.server, lb.backends["cce"].port, weight=3)
    seen = wait_health(lb.server, cce, "online", timeout=10)
    assert seen[0] == "unknown", seen                    # a new target starts unknown
    ok(lb.server, "update_target", targetID=SEED["source_target"], protocolPort=lb.backends["source"].port, weight=1)
    answers = collections.Counter(send(lb.url, 400))
    assert answers[(200, "cce")] + answers[(200, "source")] == 400, answers
    assert abs(answers[(200, "cce")] / 400 - 0.75) <= 0.05, answers
    assert {t["ID"]: t["weight"] for t in ok(lb.server, "list_target", targetGroupID=WRR)} == {
        SEED["source_target"]: 1, cce: 3}


def test_no_request_fails_while_weights_change_and_a_target_leaves(lb):
    source_port = lb.backends["source"].port
    cce = create(lb.server, lb.backends["cce"].port, weight=1)
    wait_health(lb.server, cce, "online", timeout=10)
    wait_health(lb.server, SEED["source_target"], "online", timeout=10)
    stop = threading.Event()
    results, failures = [], []
    deadline = time.monotonic() + 20

    def client():
        with requests.Session() as session:
            while not stop.is_set() and time.monotonic() < deadline and len(results) < 3000:
                started = time.monotonic()
                try:
                    resp = session.get(lb.url + "/", timeout=10)
                    results.append((started, resp.status_code, resp.text))
                    if resp.status_code != 200:
                        failures.append((resp.status_code, resp.text))
                except requests.RequestException as exc:
                    failures.append(repr(exc))

    slow = []

    def slow_request():           # in flight while its target is removed
        try:
            resp = requests.get(lb.url + "/slow", timeout=10)
            slow.append((resp.status_code, resp.text))
        except requests.RequestException as exc:
            slow.append(repr(exc))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for source_weight, cce_weight in ((100, 1), (3, 1), (1, 1), (1, 3), (1, 100)):
        ok(lb.server, "update_target", targetID=SEED["source_target"], protocolPort=source_port, weight=source_weight)
        ok(lb.server, "update_target", targetID=cce, protocolPort=lb.backends["cce"].port, weight=cce_weight)
        time.sleep(0.2)
    ok(lb.server, "update_target", targetID=cce, protocolPort=lb.backends["cce"].port, weight=1)
    ok(lb.server, "update_target", targetID=SEED["source_target"], protocolPort=source_port, weight=256)
    slow_threads = []
    for _ in range(5):            # until a slow request sits on the source (256 to 1: the first, nearly always)
        before = lb.backends["source"].slow_hits, lb.backends["cce"].slow_hits
        slow_threads.append(threading.Thread(target=slow_request))
        slow_threads[-1].start()
        while (lb.backends["source"].slow_hits, lb.backends["cce"].slow_hits) == before:
            time.sleep(0.01)
        if lb.backends["source"].slow_hits > before[0]:
            break
    ok(lb.server, "delete_target", clientToken=str(uuid.uuid4()), targetID=SEED["source_target"])
    removed_at = time.monotonic()
    time.sleep(0.8)
    source_hits = lb.backends["source"].hits
    steady(lambda: lb.backends["source"].hits, source_hits, 0.5, 0.05, what="requests on the removed target")
    stop.set()
    for thread in threads + slow_threads:
        thread.join(15)
    assert failures == []
    assert len(results) >= 100, len(results)
    after = [text for started, _status, text in results if started > removed_at]
    assert after and set(after) == {"cce"}, collections.Counter(after)
    assert lb.backends["source"].hits == source_hits                     # the removed target got nothing
    assert (200, "source") in slow and all(a in ((200, "source"), (200, "cce")) for a in slow), slow
    assert [t["ID"] for t in ok(lb.server, "list_target", targetGroupID=WRR)] == [cce]
    deadline = time.monotonic() + 5
    while lb.balancer.has("seed-0") or "MAINT" not in (lb.balancer.stat_rows()[(WRR, "s01")]["status"]):
        assert time.monotonic() < deadline, "the removed server never reached maintenance"
        time.sleep(0.05)


def test_failing_target_goes_offline_and_takes_no_request(lb):
    dead = create(lb.server, _closed_port(), weight=256)
    assert show(lb.server, dead)["healthCheckStatus"] == "unknown"
    assert wait_health(lb.server, dead, "offline", timeout=10)[0] == "unknown"
    answers = collections.Counter(send(lb.url, 50))
    assert answers == {(200, "source"): 50}


def test_503_answers_reach_the_client_and_the_realtime_monitor(lb):
    broken = create(lb.server, lb.backends["broken"].port, weight=1)     # healthy check, 503 on requests
    wait_health(lb.server, broken, "online", timeout=10)
    ok(lb.server, "update_target", targetID=SEED["source_target"], protocolPort=lb.backends["source"].port, weight=1)
    answers = collections.Counter(status for status, _text in send(lb.url, 100))
    assert answers[503] >= 40 and answers[200] >= 40 and answers[503] + answers[200] == 100, answers
    time.sleep(1.3)                                # the last sampling period closes
    status, env = elb(lb.server, "realtime_monitor", deviceIDs=[SEED["load_balancer"]], pageNo=1, pageSize=10)
    assert env["statusCode"] == 800, env
    items = env["returnObj"][0]["itemList"]        # one item per second since the balancer started
    times = [i["samplingTime"] for i in items]
    assert times == sorted(set(times)) and all(isinstance(x, int) for x in times)
    # the public entry took no other request in this test: the samples add up to what the client saw
    assert sum(int(i["lbHrsp5xx"]) for i in items) == answers[503]
    assert sum(int(i["lbHrsp2xx"]) for i in items) == answers[200]
    assert sum(int(i["lbHrsp4xx"]) + int(i["lbHrsp3xx"]) + int(i["lbHrspOther"]) for i in items) == 0
    assert sum(int(i["lbNewcreate"]) for i in items) >= 1
    assert all(float(i["lbReqRate"]) >= 0 for i in items) and any(float(i["lbReqRate"]) > 0 for i in items)
