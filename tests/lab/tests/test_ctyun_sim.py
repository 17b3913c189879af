"""CTyun simulation: EOP verification, envelope, CCE lifecycle, lost responses.

Requests here are signed by hand from the documented steps (not with the collection's signer),
so the verifier is checked against the documentation itself.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import time
import urllib.parse
import uuid

import pytest
import requests

from tests.lab.ctyunsim import table
from tests.lab.ctyunsim.standalone import StubLab, serve

AK, SK = table.DEFAULT_ACCESS_KEY, table.DEFAULT_SECRET_KEY
REGION = "cn-huadong1"


def beijing_now(offset_s=0):
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_s)
    return now.astimezone(datetime.timezone(datetime.timedelta(hours=8))).strftime("%Y%m%dT%H%M%SZ")


def sign(query: dict, body: bytes, date=None, request_id=None, sk=SK):
    date = date or beijing_now()
    request_id = request_id or str(uuid.uuid4())
    qs = "&".join(k + "=" + urllib.parse.quote(str(query[k]), safe="") for k in sorted(query))
    to_sign = ("ctyun-eop-request-id:" + request_id + "\n" + "eop-date:" + date + "\n" + "\n" + qs + "\n"
               + hashlib.sha256(body).hexdigest())
    key = hmac.new(sk.encode(), date.encode(), hashlib.sha256).digest()
    key = hmac.new(key, AK.encode(), hashlib.sha256).digest()
    key = hmac.new(key, date[:8].encode(), hashlib.sha256).digest()
    sig = base64.b64encode(hmac.new(key, to_sign.encode(), hashlib.sha256).digest()).decode()
    headers = {"ctyun-eop-request-id": request_id, "Eop-date": date, "regionId": REGION,
               "Eop-Authorization": AK + " Headers=ctyun-eop-request-id;eop-date Signature=" + sig,
               "Content-Type": "application/json"}
    return qs, headers


@pytest.fixture
def sim():
    lab = StubLab({"LAB_CLUSTER_READY_S": "0.3", "LAB_CLUSTER_DELETE_S": "0.2"})
    server = serve(lab)
    server.lab = lab
    yield server
    server.stop()


def call(server, method, path, query=None, body=None, mutate=None, **sign_kw):
    query = query or {}
    raw = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
    qs, headers = sign(query, raw, **sign_kw)
    if mutate:
        qs, headers, raw = mutate(qs, headers, raw)
    resp = requests.request(method, server.url + path + ("?" + qs if qs else ""), headers=headers, data=raw or None,
                            timeout=10)
    return resp.status_code, resp.json()


CREATE = {"clusterName": "cce-prod 01", "kubernetesVersion": "1.29.3", "vpcId": "vpc-1", "subnetId": "subnet-1",
          "nodePools": [{"nodePoolName": "workers", "flavorName": "general 4C8G", "osImage": "ctyunos23.01",
                         "nodeCount": 3}]}


def test_hand_signed_request_is_accepted(sim):
    status, env = call(sim, "GET", "/v2/cce/clusters/page",
                       query={"pageSize": 10, "pageNow": 1, "clusterName": "cce-prod 01"})
    assert (status, env["statusCode"]) == (200, 800)
    assert env["returnObj"]["records"] == []


@pytest.mark.parametrize("where", ["query", "body", "header_date", "signature"])
def test_one_byte_change_is_rejected(sim, where):
    def mutate(qs, headers, raw):
        if where == "query":
            qs = qs.replace("pageNow=1", "pageNow=2")
        elif where == "body":
            raw = raw.replace(b"cce-prod 01", b"cce-prod 02")
        elif where == "header_date":
            headers["Eop-date"] = headers["Eop-date"][:-2] + ("0Z" if headers["Eop-date"][-2] != "0" else "1Z")
        else:
            auth = headers["Eop-Authorization"]
            headers["Eop-Authorization"] = auth[:-2] + ("A" if auth[-2] != "A" else "B") + auth[-1]
        return qs, headers, raw
    method, body = ("POST", CREATE) if where == "body" else ("GET", None)
    path = "/cse-apig/v2/clusters" if where == "body" else "/v2/cce/clusters/page"
    status, env = call(sim, method, path, query={"pageNow": 1} if method == "GET" else {}, body=body, mutate=mutate)
    assert status == 401
    assert env["statusCode"] == 900 and env["error"] == "EOP_AUTH_SIGNATURE_MISMATCH"
    assert env["returnObj"] is None


def test_missing_header_skew_and_region(sim):
    def drop(qs, headers, raw):
        del headers["ctyun-eop-request-id"]
        return qs, headers, raw
    assert call(sim, "GET", "/v2/cce/metadata/versions", mutate=drop)[1]["error"] == "EOP_AUTH_HEADER_MISSING"
    status, env = call(sim, "GET", "/v2/cce/metadata/versions", date=beijing_now(-3600))
    assert (status, env["error"]) == (401, "EOP_AUTH_DATE_SKEW")

    def no_region(qs, headers, raw):
        del headers["regionId"]
        return qs, headers, raw
    assert call(sim, "GET", "/v2/cce/metadata/versions", mutate=no_region)[1]["error"] == "EOP_REGION_MISSING"
    assert call(sim, "GET", "/v2/cce/metadata/versions", sk="wrong")[1]["error"] == "EOP_AUTH_SIGNATURE_MISMATCH"
    status, env = call(sim, "GET", "/v2/nothing/here")
    assert (status, env["statusCode"], env["error"]) == (404, 900, "EOP_API_NOT_FOUND")


def wait_status(server, cluster_id, want, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, env = call(server, "GET", "/v2/cce/clusters/" + cluster_id)
        got = env["returnObj"]["clusterStatus"] if env["statusCode"] == 800 else env["error"]
        if got == want:
            return
        time.sleep(0.05)
    raise AssertionError(f"{cluster_id} never reached {want}, last {got}")


def test_lifecycle_unique_names_quota_kubeconfig_and_delete(sim):
    status, env = call(sim, "POST", "/cse-apig/v2/clusters", body=CREATE)
    cluster_id = env["returnObj"]["clusterID"]
    assert call(sim, "GET", "/v2/cce/clusters/" + cluster_id)[1]["returnObj"]["clusterStatus"] == "creating"
    env = call(sim, "GET", f"/v2/cce/clusters/{cluster_id}/kubeconfig")[1]
    assert (env["statusCode"], env["error"]) == (900, "CCE_CLUSTER_STATE_CONFLICT")
    status, env = call(sim, "POST", "/cse-apig/v2/clusters", body=CREATE)
    assert (status, env["statusCode"], env["error"]) == (200, 900, "CCE_CLUSTER_NAME_EXISTS")
    wait_status(sim, cluster_id, "running")
    env = call(sim, "GET", f"/v2/cce/clusters/{cluster_id}/kubeconfig", query={"type": "external"})[1]
    assert env["returnObj"]["kubeconfig"] == sim.lab.kubeconfig_for("target")
    quotas = {q["name"]: q for q in call(sim, "GET", "/v2/cce/quotas/query")[1]["returnObj"]["quotas"]}
    assert quotas["cluster"]["used"] == 1 and quotas["node"]["used"] == 3
    pools = call(sim, "GET", f"/cse-apig/v2/clusters/{cluster_id}/nodepools")[1]["returnObj"]["records"]
    env = call(sim, "POST", f"/cse-apig/v2/clusters/{cluster_id}/nodepools/{pools[0]['nodePoolId']}/scale",
               body={"nodeCount": 5})[1]
    assert env["statusCode"] == 800
    tasks = call(sim, "GET", f"/v2/cce/tasks/{cluster_id}/alltasks")[1]["returnObj"]["records"]
    assert [t["taskType"] for t in tasks] == ["CreateCluster", "ScaleNodePool"]
    assert call(sim, "GET", f"/v2/cce/events/{cluster_id}/{tasks[0]['taskId']}")[1]["returnObj"]["records"]
    env = call(sim, "PUT", f"/cse-apig/v2/clusters/{cluster_id}", body={"kubernetesVersion": "1.31.1"})[1]
    assert env["error"] == "CCE_FIELD_IMMUTABLE"
    assert call(sim, "PUT", f"/cse-apig/v2/clusters/{cluster_id}", body={"description": "x"})[1]["statusCode"] == 800
    assert "1.29.3" in [v["version"] for v in call(sim, "GET", "/v2/cce/metadata/versions")[1]["returnObj"]]
    assert call(sim, "DELETE", f"/cse-apig/v2/clusters/{cluster_id}")[1]["statusCode"] == 800
    wait_status(sim, cluster_id, "CCE_CLUSTER_NOT_FOUND")


def test_cluster_quota_enforced(sim):
    sim.lab.knobs["LAB_CCE_CLUSTER_QUOTA"] = "1"
    assert call(sim, "POST", "/cse-apig/v2/clusters", body=CREATE)[1]["statusCode"] == 800
    env = call(sim, "POST", "/cse-apig/v2/clusters", body=dict(CREATE, clusterName="other"))[1]
    assert env["error"] == "CCE_QUOTA_EXCEEDED"


def test_lost_response_create_exists_once(sim):
    sim.lab.knobs["LAB_FAULT_RATE"] = "1"
    with pytest.raises(requests.exceptions.ConnectionError):
        call(sim, "POST", "/cse-apig/v2/clusters", body=CREATE)
    sim.lab.knobs["LAB_FAULT_RATE"] = "0"
    # A careful client looks the name up before retrying; a second create would be refused anyway.
    page = call(sim, "GET", "/v2/cce/clusters/page", query={"clusterName": "cce-prod 01"})[1]["returnObj"]
    assert [c["clusterName"] for c in page["records"]] == ["cce-prod 01"]
    assert call(sim, "POST", "/cse-apig/v2/clusters", body=CREATE)[1]["error"] == "CCE_CLUSTER_NAME_EXISTS"
    page = call(sim, "GET", "/v2/cce/clusters/page", query={"clusterName": "cce-prod 01"})[1]["returnObj"]
    assert page["total"] == 1


# -- with the lab's own middleware (faults, request log) --------------------------------
@pytest.fixture
def lab_sim(tmp_path, monkeypatch):
    kubesim_lab = pytest.importorskip("tests.lab.kubesim.lab")
    lab = kubesim_lab.Lab(tmp_path, env={"LAB_CLUSTER_READY_S": "0.3", "LAB_SEED": "3"})
    monkeypatch.setattr(kubesim_lab, "FAULT_KINDS", ("lost",))
    server = serve(lab)
    server.lab = lab
    yield server
    server.stop()


def lab_log(lab):
    lab._log.flush()
    return [json.loads(line) for line in (lab.dir / "requests.jsonl").read_text().splitlines() if line.strip()]


def test_lost_response_through_the_lab_middleware_creates_once(lab_sim):
    lab_sim.lab.knobs["LAB_FAULT_RATE"] = "1"
    with pytest.raises(requests.exceptions.ConnectionError):
        call(lab_sim, "POST", "/cse-apig/v2/clusters", body=CREATE)
    lab_sim.lab.knobs["LAB_FAULT_RATE"] = "0"
    page = call(lab_sim, "GET", "/v2/cce/clusters/page", query={"clusterName": "cce-prod 01"})[1]["returnObj"]
    assert page["total"] == 1
    entries = [e for e in lab_log(lab_sim.lab) if e["server"] == "ctyun"]
    assert [(e["method"], e.get("fault")) for e in entries] == [("POST", "lost"), ("GET", None)]
