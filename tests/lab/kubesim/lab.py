"""The lab: clusters, certificates, knobs, and the middleware every server shares
(bearer-token check, latency, reproducible faults, request log)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import json
import os
import random
import secrets
import ssl
import time
from pathlib import Path

import jsonschema
import yaml
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .resources import KARMADA_EXTRA, Registry, crd_kinds
from .store import Store, StoreError

REPO = Path(__file__).resolve().parents[3]
# Karmada's CRDs: from the Karmada module the real backend built (make real-build) when that cache
# exists, else the copy tools/sync_karmada_crds.sh generated from the same module version.
REPO_CRDS = REPO / "tests" / "lab" / "karmada-crds"


def default_crd_dir():
    try:
        from tests.lab.real.controlplane import built
        cache = built()
    except ImportError:  # pragma: no cover
        cache = None
    if cache is not None and (cache / "karmada" / "sim-crds").is_dir():
        return cache / "karmada" / "sim-crds"
    return REPO_CRDS

VERSIONS = {
    "source": {"major": "1", "minor": "22", "gitVersion": "v1.22.17-aliyun.1", "platform": "linux/amd64"},
    "target": {"major": "1", "minor": "29", "gitVersion": "v1.29.3", "platform": "linux/amd64"},
    "karmada": {"major": "1", "minor": "19", "gitVersion": "v1.19.0", "platform": "linux/amd64"},
}
# The Karmada API server is a kube-apiserver of its own version (Karmada ships 1.31-based
# control planes); it serves the current built-in APIs plus Karmada's CRDs.
KARMADA_APISERVER_MINOR = 31

KNOB_DEFAULTS = {
    "LAB_LATENCY_MS": "0", "LAB_FAULT_RATE": "0", "LAB_SEED": "42", "LAB_WORKLOADS": "30", "LAB_READY_S": "1",
    "LAB_CLUSTER_READY_S": "3", "LAB_KARMADA_MEMBERS": "",
}
FAULT_KINDS = ("429", "500", "503", "reset", "lost")
try:  # the CTyun simulation owns its credentials table
    from tests.lab.ctyunsim import table as _ctyun_table
    CTYUN_ACCESS_KEY = _ctyun_table.DEFAULT_ACCESS_KEY
    CTYUN_SECRET_KEY = _ctyun_table.DEFAULT_SECRET_KEY
    CTYUN_REGION_ID = _ctyun_table.REGIONS[0]
except ImportError:  # pragma: no cover
    CTYUN_ACCESS_KEY, CTYUN_SECRET_KEY, CTYUN_REGION_ID = "AKLAB", "SKLAB", "cn-lab-1"


def _is_write(request):
    """Whether a request writes: what the CTyun simulation's route says (a POST can be a read there,
    such as the ECS flavour list), else every method but GET, HEAD and OPTIONS."""
    try:
        from tests.lab.ctyunsim import WRITE_KEY
        marked = request.get(WRITE_KEY)
    except ImportError:  # pragma: no cover
        marked = None
    return bool(marked) if marked is not None else request.method not in ("GET", "HEAD", "OPTIONS")


class Cluster:
    def __init__(self, name, lab):
        self.name = name
        version = dict(VERSIONS[name])
        version.update({"buildDate": "2026-01-01T00:00:00Z", "compiler": "gc", "gitCommit": "0" * 40,
                        "gitTreeState": "clean", "goVersion": "go1.22.1"})
        self.version = version
        minor = KARMADA_APISERVER_MINOR if name == "karmada" else int(version["minor"])
        extra = []
        self.crds = []
        if name == "karmada":
            kinds, self.crds = crd_kinds(lab.crd_dir)
            extra = kinds + KARMADA_EXTRA
        self.registry = Registry(minor, extra)
        self.store = Store(name, self.registry, seed=lab.knobs["LAB_SEED"])
        self.token = secrets.token_hex(16)
        self.port = None
        for kind in extra:
            # ResourceBindings and Works are written by the lab's own controllers only, correct by
            # construction; validating every status write of theirs would cost most of the
            # control plane's time under load. What clients write (policies, clusters) is validated.
            if kind.schema is not None and kind.group != "work.karmada.io":
                self.store.validators[kind.gk] = schema_validator(kind)
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.store.ensure_namespace(ns)
        for crd in self.crds:
            self.store.create(dict(crd, status={"conditions": [{"type": "Established", "status": "True"}]}))


def schema_validator(kind):
    schema = kind.schema
    validator = jsonschema.Draft7Validator(schema)

    def validate(obj):
        errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
        if not errors:
            return
        causes = []
        for err in errors[:10]:
            path = ".".join("[%s]" % p if isinstance(p, int) else str(p) for p in err.absolute_path).replace(".[", "[")
            causes.append({"field": path or "<root>", "reason": "FieldValueInvalid", "message": err.message})
        name = (obj.get("metadata") or {}).get("name", "")
        raise StoreError(422, "Invalid", '%s.%s "%s" is invalid: %s' % (
            kind.kind, kind.group, name, "; ".join("%s: Invalid value: %s" % (c["field"], c["message"])
                                                   for c in causes)),
            {"name": name, "group": kind.group, "kind": kind.kind, "causes": causes})

    return validate


def make_ca(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cce-migration-lab-ca")])
    now = dt.datetime.now(dt.timezone.utc)
    ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
          .not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(key, hashes.SHA256()))
    skey = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(name).public_key(skey.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    paths = {"ca": directory / "ca.crt", "cert": directory / "server.crt", "key": directory / "server.key",
             "ca_key": directory / "ca.key"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    # the real backend (LAB_KUBE=real) signs its servers' certificates with the same CA
    paths["ca_key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    os.chmod(paths["ca_key"], 0o600)
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(skey.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    os.chmod(paths["key"], 0o600)
    return paths


class Lab:
    def __init__(self, directory, env=None):
        env = env if env is not None else os.environ
        self.dir = Path(directory).resolve()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.knobs = dict((k, env.get(k, v)) for k, v in KNOB_DEFAULTS.items())
        for k, v in env.items():
            if k.startswith("LAB_") and k not in self.knobs:
                self.knobs[k] = v
        self.crd_dir = Path(env.get("LAB_KARMADA_CRDS") or default_crd_dir())
        self.ca = make_ca(self.dir)
        self.clusters = self.make_clusters()
        self.ports = {}
        self._log = open(self.dir / "requests.jsonl", "a", buffering=1)
        self._rngs = {}
        self.started = time.time()
        self.tasks = []

    def make_clusters(self):
        return {name: Cluster(name, self) for name in ("source", "target", "karmada")}

    # -- knobs -------------------------------------------------------------
    def knob(self, name, default=None):
        return self.knobs.get(name, default)

    def knob_float(self, name):
        try:
            return float(self.knobs.get(name) or 0)
        except ValueError:
            return 0.0

    def rng(self, server):
        if server not in self._rngs:
            # LAB_FAULT_SEED varies the faults over the same seeded estate (LAB_SEED)
            seed = self.knobs.get("LAB_FAULT_SEED") or self.knobs["LAB_SEED"]
            self._rngs[server] = random.Random("%s-%s-faults" % (seed, server))
        return self._rngs[server]

    # -- outputs -------------------------------------------------------------
    def log_request(self, **fields):
        self._log.write(json.dumps(fields, separators=(",", ":")) + "\n")

    def kubeconfig_for(self, name):
        """Kubeconfig (YAML text) for one lab cluster, as a cloud API hands it out."""
        return yaml.safe_dump(self.kubeconfig_dict(name), sort_keys=False)

    def kubeconfig_dict(self, name):
        cluster = self.clusters[name]
        ca = base64.b64encode(self.ca["ca"].read_bytes()).decode()
        return {
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": name, "cluster": {"server": "https://127.0.0.1:%d" % cluster.port,
                                                    "certificate-authority-data": ca}}],
            "users": [{"name": "%s-admin" % name, "user": {"token": cluster.token}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": "%s-admin" % name}}],
            "current-context": name,
        }

    def kubeconfig_all(self):
        merged = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": [],
                  "current-context": "source", "preferences": {}}
        for name in self.clusters:
            one = self.kubeconfig_dict(name)
            for key in ("clusters", "users", "contexts"):
                merged[key].extend(one[key])
        return merged

    def cluster_for_server(self, server_url):
        """Lab cluster name whose URL is ``server_url`` (used by the CCE One simulation)."""
        for name, cluster in self.clusters.items():
            if server_url.rstrip("/").endswith(":%d" % cluster.port):
                return name
        return None

    # -- serving ----------------------------------------------------------------
    async def start_app(self, name, app):
        """Serve ``app`` over HTTPS on a free 127.0.0.1 port (``self.ports[name]``), with the lab's
        own routes: ``/_lab/knobs`` (GET, or POST to change knobs) and ``/_lab/health``."""
        lab = self

        async def knobs(request):
            if request.method == "POST":
                lab.knobs.update(dict((k, str(v)) for k, v in (await request.json()).items()))
            return web.json_response(lab.knobs)

        async def health(request):
            return web.json_response({"ok": True})

        if not hasattr(self, "_ssl"):
            self._ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._ssl.load_cert_chain(str(self.ca["cert"]), str(self.ca["key"]))
            self.runners = []
        app.router.add_route("*", "/_lab/knobs", knobs)
        app.router.add_get("/_lab/health", health)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self._ssl, backlog=512)
        await site.start()
        self.runners.append(runner)
        self.ports[name] = site._server.sockets[0].getsockname()[1]
        return self.ports[name]

    async def stop_apps(self):
        for runner in getattr(self, "runners", []):
            await runner.cleanup()

    # -- middleware ------------------------------------------------------------
    def middlewares(self, server_name, token=None):
        lab = self

        @web.middleware
        async def lab_middleware(request, handler):
            if request.path.startswith("/_lab/"):
                return await handler(request)
            start = time.monotonic()
            status = 0
            fault = None
            try:
                if token is not None:
                    auth = request.headers.get("Authorization", "")
                    if auth != "Bearer %s" % token:
                        status = 401
                        return web.Response(status=401, content_type="application/json", text=json.dumps(
                            {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                             "message": "Unauthorized", "reason": "Unauthorized", "code": 401}))
                latency = lab.knob_float("LAB_LATENCY_MS")
                if latency:
                    await asyncio.sleep(latency / 1000.0)
                rate = lab.knob_float("LAB_FAULT_RATE")
                is_watch = request.query.get("watch") in ("true", "1")
                # LAB_FAULT_METHODS (comma-separated) limits the faults to those methods, LAB_FAULT_KIND
                # to one kind of FAULT_KINDS (default: one at random per fault)
                methods = [m for m in lab.knob("LAB_FAULT_METHODS", "").split(",") if m]
                if rate and not is_watch and (not methods or request.method in methods) \
                        and lab.rng(server_name).random() < rate:
                    kind = lab.knob("LAB_FAULT_KIND", "")
                    fault = kind if kind in FAULT_KINDS else lab.rng(server_name).choice(FAULT_KINDS)
                if fault in ("429", "500", "503"):
                    status = int(fault)
                    headers = {"Retry-After": "1"} if fault == "429" else {}
                    return web.Response(status=status, headers=headers, content_type="application/json",
                                        text=json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {},
                                                         "status": "Failure", "code": status,
                                                         "message": "injected fault %s" % fault,
                                                         "reason": "TooManyRequests" if fault == "429"
                                                         else "InternalError"}))
                if fault == "reset":
                    status = -1
                    request.transport.close()
                    raise ConnectionResetError("injected reset")
                response = await handler(request)
                status = response.status
                if fault == "lost":
                    status = -2
                    request.transport.close()
                    raise ConnectionResetError("injected lost response")
                return response
            finally:
                lab.log_request(time=round(time.time(), 3), server=server_name, method=request.method,
                                path=request.path, query=request.query_string, status=status,
                                latency_ms=round((time.monotonic() - start) * 1000, 2),
                                write=_is_write(request),
                                **({"fault": fault} if fault else {}))

        return [lab_middleware]
