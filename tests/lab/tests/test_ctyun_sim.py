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


ZONE = table.REGION_ZONES["cn-huadong1"][0]
# The provider's create body (ccse_create_cluster_api.go) for the guide's plan.
CREATE = {
    "resPoolId": "cn-huadong1",
    "clusterBaseInfo": {
        "clusterName": "cce-prod 01", "clusterSeries": "cce.standard", "clusterVersion": "1.29.3",
        "clusterDomain": "cluster.local", "vpcUuid": "vpc-1", "subnetUuid": "subnet-1", "networkPlugin": "cubecni",
        "podSubnetUuidList": ["subnet-pods"], "serviceCidr": "10.96.0.0/16", "autoGenerateSecurityGroup": True,
        "startPort": 30000, "endPort": 32767, "elbProdCode": "standardI", "enableApiServerEip": False,
        "containerRuntime": "containerd", "timezone": "Asia/Shanghai", "deployType": "single", "kubeProxy": "ipvs",
        "billMode": "2", "azInfos": [{"azName": ZONE, "size": 3}]},
    "masterHost": {"itemDefName": "s7.xlarge.2", "itemDefType": "CPU_S7", "cpu": 4, "mem": 8, "size": 3,
                   "sysDisk": {"itemDefName": "SSD", "size": 100}},
    "slaveHost": {"itemDefName": "s7.xlarge.2", "itemDefType": "CPU_S7", "size": 3,
                  "azInfos": [{"azName": ZONE, "size": 3}], "sysDisk": {"itemDefName": "SSD", "size": 100},
                  "foreignMirrorId": "img-ctyunos2301-ccse", "mirrorType": 1},
}


def renamed(name):
    body = json.loads(json.dumps(CREATE))
    body["clusterBaseInfo"]["clusterName"] = name
    return body


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
    path = "/v2/cce/clusters/create" if where == "body" else "/v2/cce/clusters/page"
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


def by_name(server, name):
    return call(server, "GET", "/v2/cce/clusters/page", query={"clusterName": name})[1]["returnObj"]["records"]


def test_lifecycle_order_then_cluster_relative_scaling_kubeconfig_and_delete(sim):
    status, env = call(sim, "POST", "/v2/cce/clusters/create", body=CREATE)
    assert status == 200 and set(env["returnObj"]) == {"orderId", "orderNo"}
    (record,) = by_name(sim, "cce-prod 01")
    cluster_id = record["id"]
    assert (record["clusterStatus"], record["bizState"]) == ("creating", 6)
    env = call(sim, "GET", f"/v2/cce/clusters/{cluster_id}/certificate/kubeconfig", query={"isPublic": "false"})[1]
    assert (env["statusCode"], env["error"]) == (900, "CCE_CLUSTER_STATE_CONFLICT")
    status, env = call(sim, "POST", "/v2/cce/clusters/create", body=CREATE)
    assert (status, env["statusCode"], env["error"]) == (400, 900, "CCE_CLUSTER_NAME_EXISTS")
    wait_status(sim, cluster_id, "normal")
    nodes = call(sim, "GET", f"/v2/cce/clusters/{cluster_id}/nodes/list")[1]["returnObj"]
    assert sorted(n["nodeType"] for n in nodes) == [1, 1, 1, 2, 2, 2]
    env = call(sim, "GET", f"/v2/cce/clusters/{cluster_id}/certificate/kubeconfig", query={"isPublic": "false"})[1]
    assert env["returnObj"]["kubeConfig"] == sim.lab.kubeconfig_for("target")
    env = call(sim, "GET", f"/v2/cce/clusters/{cluster_id}/certificate/kubeconfig", query={"isPublic": "true"})[1]
    assert env["statusCode"] == 900          # no EIP: no public kubeconfig
    quotas = {q["quotaName"]: q for q in
              call(sim, "GET", "/v2/cce/quotas/query")[1]["returnObj"]["quotaCenterDataList"]}
    assert quotas["cluster"]["quotaUsed"] == 1 and quotas["node"]["quotaUsed"] == 6
    pools = call(sim, "GET", f"/v2/cce/clusters/{cluster_id}/nodepools",
                 query={"pageNow": 1, "pageSize": 10})[1]["returnObj"]["records"]
    (pool,) = pools
    assert (pool["isDefault"], pool["nodeTotalNum"]) == (True, 3)
    for _ in range(2):                       # relative: two calls add twice
        assert call(sim, "PUT", f"/v2/cce/clusters/{cluster_id}/nodepool/{pool['id']}/scaleup",
                    body={"num": 1})[1]["statusCode"] == 800
    got = call(sim, "GET", f"/v2/cce/clusters/{cluster_id}/nodepool/{pool['id']}")[1]["returnObj"]
    assert got["nodeTotalNum"] == 5
    env = call(sim, "PUT", f"/v2/cce/clusters/{cluster_id}/nodepool/{pool['id']}/scaledown",
               body={"nodeNames": [got["nodes"][-1]["nodeName"]], "forcedDeletion": True})[1]
    assert env["statusCode"] == 800
    assert call(sim, "GET", f"/v2/cce/clusters/{cluster_id}/nodepool/{pool['id']}")[1]["returnObj"][
        "nodeTotalNum"] == 4
    env = call(sim, "GET", f"/v2/cce/clusters/{cluster_id}/nodepool/np-nope")[1]
    assert env["statusCode"] == 900 and table.NOT_EXIST in env["message"]
    tasks = call(sim, "GET", f"/v2/cce/tasks/{cluster_id}/alltasks")[1]["returnObj"]["records"]
    assert [t["taskType"] for t in tasks][:2] == ["CreateCluster", "ScaleUpNodePool"]
    assert call(sim, "GET", f"/v2/cce/events/{cluster_id}/{tasks[0]['taskId']}")[1]["returnObj"]["records"]
    env = call(sim, "PUT", f"/v2/cce/clusters/{cluster_id}", body={"clusterVersion": "1.31.6"})[1]
    assert env["error"] == "CCE_FIELD_IMMUTABLE"
    assert call(sim, "PUT", f"/v2/cce/clusters/{cluster_id}", body={"clusterDesc": "x"})[1]["statusCode"] == 800
    assert "1.29.3" in [v["version"] for v in call(sim, "GET", "/v2/cce/metadata/versions")[1]["returnObj"]]
    env = call(sim, "POST", "/v2/cce/clusters/delete", body={"resPoolId": "cn-huadong1", "prodInstId": cluster_id})[1]
    assert set(env["returnObj"]) == {"orderId", "orderNo"}
    assert by_name(sim, "cce-prod 01")[0]["bizState"] == 18
    wait_status(sim, cluster_id, "CCE_CLUSTER_NOT_FOUND")
    assert by_name(sim, "cce-prod 01") == []


@pytest.mark.parametrize("method, path", [
    ("POST", "/cse-apig/v2/clusters"), ("DELETE", "/cse-apig/v2/clusters/x"), ("GET", "/v2/cce/clusters/x/kubeconfig"),
    ("GET", "/cse-apig/v2/clusters/x/nodepools"), ("POST", "/cse-apig/v2/clusters/x/nodepools/y/scale"),
])
def test_old_paths_are_not_served(sim, method, path):
    status, env = call(sim, method, path, body={} if method == "POST" else None)
    assert (status, env["error"]) == (404, "EOP_API_NOT_FOUND")


@pytest.mark.parametrize("mutate, fragment", [
    (lambda b: b["clusterBaseInfo"].update(podCidr="172.16.0.0/16"), "podCidr is not accepted with cubecni"),
    (lambda b: b["clusterBaseInfo"].update(networkPlugin="flannel"), "networkPlugin"),
    (lambda b: b["masterHost"].update(itemDefName="general 4C8G"), "general 4C8G"),
    (lambda b: b["slaveHost"].update(foreignMirrorId="ctyunos23.01"), "ctyunos23.01"),
    (lambda b: b["slaveHost"]["azInfos"][0].update(azName="nowhere"), "nowhere"),
    (lambda b: b.update(resPoolId="cn-gz3"), "resPoolId"),
    (lambda b: b["clusterBaseInfo"].update(clusterSeries="cce.managed", seriesType="managedpro", nodeScale="50"),
     "masterHost is not accepted"),
    (lambda b: b["clusterBaseInfo"].update(kubernetesVersion="1.29.3"), "unknown fields kubernetesVersion"),
])
def test_create_refuses_what_the_api_refuses(sim, mutate, fragment):
    body = json.loads(json.dumps(CREATE))
    mutate(body)
    status, env = call(sim, "POST", "/v2/cce/clusters/create", body=body)
    assert (status, env["statusCode"]) == (400, 900) and fragment in env["message"], env["message"]


def test_unknown_region_is_refused(sim):
    def other_region(qs, headers, raw):
        headers[table.HEADER_REGION] = "cn-nowhere-1"
        return qs, headers, raw
    env = call(sim, "GET", "/v2/cce/clusters/page", mutate=other_region)[1]
    assert env["error"] == "EOP_REGION_UNKNOWN"


def test_cluster_quota_enforced(sim):
    sim.lab.knobs["LAB_CCE_CLUSTER_QUOTA"] = "1"
    assert call(sim, "POST", "/v2/cce/clusters/create", body=CREATE)[1]["statusCode"] == 800
    env = call(sim, "POST", "/v2/cce/clusters/create", body=renamed("other"))[1]
    assert env["error"] == "CCE_QUOTA_EXCEEDED"


def test_lost_response_create_exists_once(sim):
    sim.lab.knobs["LAB_FAULT_RATE"] = "1"
    with pytest.raises(requests.exceptions.ConnectionError):
        call(sim, "POST", "/v2/cce/clusters/create", body=CREATE)
    sim.lab.knobs["LAB_FAULT_RATE"] = "0"
    # A careful client looks the name up before retrying; a second create would be refused anyway.
    assert [c["clusterName"] for c in by_name(sim, "cce-prod 01")] == ["cce-prod 01"]
    assert call(sim, "POST", "/v2/cce/clusters/create", body=CREATE)[1]["error"] == "CCE_CLUSTER_NAME_EXISTS"
    assert len(by_name(sim, "cce-prod 01")) == 1


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
        call(lab_sim, "POST", "/v2/cce/clusters/create", body=CREATE)
    lab_sim.lab.knobs["LAB_FAULT_RATE"] = "0"
    page = call(lab_sim, "GET", "/v2/cce/clusters/page", query={"clusterName": "cce-prod 01"})[1]["returnObj"]
    assert page["total"] == 1
    entries = [e for e in lab_log(lab_sim.lab) if e["server"] == "ctyun"]
    assert [(e["method"], e.get("fault")) for e in entries] == [("POST", "lost"), ("GET", None)]
