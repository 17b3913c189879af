"""Real upstream control planes for the lab (``LAB_KUBE=real``): test infrastructure only.

One etcd, three kube-apiservers (``source``, ``target`` and Karmada's own API server, each under
its own etcd prefix), a kube-controller-manager for each, a kube-scheduler and a kwok (fake
nodes and kubelets) for each member, and Karmada's aggregated-apiserver, webhook,
controller-manager and scheduler, all from the binaries ``make real-build`` put in the cache.
Every process listens on 127.0.0.1 only; its pid goes to ``pids.json`` in the lab directory.

Karmada is installed the way its own manifests do (``artifacts/deploy`` in the Karmada module):
CRDs with the conversion webhook patches, the mutating and validating webhook configurations,
the ``cluster.karmada.io`` APIService behind an ExternalName Service. Two differences forced by
running as plain processes, written down in docs/lab.md: webhook URLs name 127.0.0.1 and a port
instead of ``karmada-webhook.karmada-system.svc``, and the ExternalName Service names
``localhost`` with the aggregated API server's port.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import ipaddress
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
MEMBERS = ("source", "target")
# Service CIDRs: the seeded source Services carry cluster IPs of the other cloud's 172.21.0.0/16.
SERVICE_CIDRS = {"source": "172.21.0.0/16", "target": "10.247.0.0/16", "karmada": "10.96.0.0/16"}
POD_CIDRS = {"source": "10.20.0.1/16", "target": "10.30.0.1/16"}
AGG_SERVICE = "karmada-aggregated-apiserver.karmada-system.svc"
WEBHOOK_SERVICE = "https://karmada-webhook.karmada-system.svc:443"
KWOK_STAGES = ("node/fast/node-initialize.yaml", "node/heartbeat/node-heartbeat.yaml",
               "pod/fast/pod-ready.yaml", "pod/fast/pod-complete.yaml", "pod/fast/pod-delete.yaml")
# The Karmada CRDs Karmada's kustomization installs (charts/karmada/_crds/kustomization.yaml).
CRD_KUSTOMIZATION = "crds/kustomization.yaml"


# A pod with this annotation stays Terminating for its grace period (the simulation's store.GRACEFUL):
# the API server's graceful deletion sets deletionTimestamp to now + terminationGracePeriodSeconds,
# and kwok deletes the pod (grace 0) only at that time instead of at once.
GRACEFUL = "lab.test/graceful"


def graceful_pod_delete(stages):
    """kwok's fast ``pod-delete`` stage for pods without the annotation, and a stage that deletes
    an annotated pod at its ``deletionTimestamp`` (kwok reads a timestamp in ``durationFrom`` as
    the time left until it)."""
    key = '.metadata.annotations["%s"]' % GRACEFUL
    out = []
    for doc in stages:
        if doc.get("kind") == "Stage" and doc["metadata"]["name"] == "pod-delete":
            doc = copy.deepcopy(doc)
            doc["spec"]["selector"]["matchExpressions"].append({"key": key, "operator": "DoesNotExist"})
            out.append(doc)
            out.append({"apiVersion": doc["apiVersion"], "kind": "Stage",
                        "metadata": {"name": "pod-delete-after-grace"},
                        "spec": {"resourceRef": {"apiGroup": "v1", "kind": "Pod"},
                                 "selector": {"matchExpressions": [
                                     {"key": ".metadata.deletionTimestamp", "operator": "Exists"},
                                     {"key": key, "operator": "In", "values": ["true"]}]},
                                 "delay": {"durationMilliseconds": 0,
                                           "durationFrom": {"expressionFrom": ".metadata.deletionTimestamp"}},
                                 "next": {"delete": True}}})
            continue
        out.append(doc)
    return out


class RealLabError(RuntimeError):
    pass


# -- the cache ``make real-build`` fills ---------------------------------------------------
def versions():
    out = {}
    for line in (HERE / "versions.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            out[key] = value
    return out


def cache_root():
    base = os.environ.get("REAL_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "ctyun-cce-migration", "real")
    return Path(base)


def cache_dir():
    """The folder of this version set (same key as build.sh computes)."""
    v = versions()
    parts = [v["KUBE_VERSION"], v["KUBE_STAGING_VERSION"], v["ETCD_VERSION"], v["KWOK_VERSION"],
             v["KARMADA_VERSION"], "build-2"]
    key = hashlib.sha256(("\n".join(parts) + "\n").encode()).hexdigest()[:12]
    return cache_root() / key


def built():
    """The cache folder when ``make real-build`` completed, else None."""
    d = cache_dir()
    return d if (d / ".complete").exists() else None


def require_built():
    d = built()
    if d is None:
        raise RealLabError("LAB_KUBE=real needs the real control planes built: run 'make real-build' "
                           "(cold: downloads about 1 GB of Go modules and builds for 20-40 minutes; "
                           "then cached in %s)" % cache_dir())
    return d


# -- certificates ---------------------------------------------------------------------------
def _now():
    return dt.datetime.now(dt.timezone.utc)


def _pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _issue(ca_cert, ca_key, cn, *, dns=(), ips=(), server=True, client=False, orgs=()):
    key = ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)] + [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    usages = ([ExtendedKeyUsageOID.SERVER_AUTH] if server else []) + ([ExtendedKeyUsageOID.CLIENT_AUTH]
                                                                         if client else [])
    builder = (x509.CertificateBuilder().subject_name(x509.Name(attrs)).issuer_name(ca_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(_now() - dt.timedelta(hours=1)).not_valid_after(_now() + dt.timedelta(days=30))
               .add_extension(x509.ExtendedKeyUsage(usages), critical=False))
    sans = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def _ca(cn):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(_now() - dt.timedelta(hours=1))
            .not_valid_after(_now() + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


def make_pki(lab_dir, directory):
    """Serving certificates of every real server signed by the lab CA (``ca.crt``/``ca.key`` in the
    lab directory, which also signs the recording proxies'), the front-proxy CA and client for API
    aggregation, the service-account key."""
    pki = Path(directory)
    pki.mkdir(parents=True, exist_ok=True)
    ca_cert = x509.load_pem_x509_certificate((Path(lab_dir) / "ca.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((Path(lab_dir) / "ca.key").read_bytes(), None)
    paths = {}

    def write(name, cert, key):
        (pki / (name + ".crt")).write_bytes(_pem_cert(cert))
        (pki / (name + ".key")).write_bytes(_pem_key(key))
        os.chmod(pki / (name + ".key"), 0o600)
        paths[name] = (str(pki / (name + ".crt")), str(pki / (name + ".key")))

    write("serving", *_issue(ca_cert, ca_key, "lab-apiserver", dns=(
        "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", AGG_SERVICE,
        "karmada-webhook.karmada-system.svc"), ips=("127.0.0.1",)))
    fp_cert, fp_key = _ca("lab-front-proxy-ca")
    write("front-proxy-ca", fp_cert, fp_key)
    write("front-proxy-client", *_issue(fp_cert, fp_key, "front-proxy-client", server=False, client=True))
    sa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (pki / "sa.key").write_bytes(_pem_key(sa))
    os.chmod(pki / "sa.key", 0o600)
    (pki / "sa.pub").write_bytes(sa.public_key().public_bytes(serialization.Encoding.PEM,
                                                              serialization.PublicFormat.SubjectPublicKeyInfo))
    # controller-runtime's webhook server reads tls.crt / tls.key from its --cert-dir
    webhook = pki / "webhook"
    webhook.mkdir(exist_ok=True)
    (webhook / "tls.crt").write_bytes((pki / "serving.crt").read_bytes())
    (webhook / "tls.key").write_bytes((pki / "serving.key").read_bytes())
    os.chmod(webhook / "tls.key", 0o600)
    return paths


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- a minimal REST client for setting things up ----------------------------------------------
class Rest:
    def __init__(self, url, token, cafile):
        self.url = url.rstrip("/")
        self.token = token
        self.ctx = ssl.create_default_context(cafile=cafile)

    def request(self, method, path, body=None, ok=(200, 201), content_type="application/json"):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": "Bearer " + self.token, "Content-Type": content_type, "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
                raw = resp.read()
                if "json" not in (resp.headers.get("Content-Type") or ""):
                    return resp.status, raw.decode(errors="replace")
                return resp.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = {"message": raw.decode(errors="replace")}
            if exc.code in ok:
                return exc.code, payload
            raise RealLabError("%s %s: %s %s" % (method, path, exc.code, payload.get("message", payload))) from None

    def get(self, path, ok=(200,)):
        return self.request("GET", path, ok=ok)

    def create(self, path, body):
        """POST; an existing object (409) is fine: setup is re-entrant."""
        return self.request("POST", path, body, ok=(200, 201, 409))

    def wait(self, path, timeout=120, check=None):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                status, payload = self.request("GET", path, ok=(200,))
                if check is None or check(payload):
                    return payload
            except (RealLabError, OSError) as exc:
                last = exc
            time.sleep(0.3)
        raise RealLabError("%s%s not ready in %ds (last: %s)" % (self.url, path, timeout, last))


# -- processes ------------------------------------------------------------------------------
class ControlPlanes:
    """Start and stop the real servers. ``tokens`` maps cluster name to its admin bearer token."""

    def __init__(self, lab_dir, tokens):
        self.dir = Path(lab_dir)
        self.cache = require_built()
        self.bin = self.cache / "bin"
        self.tokens = tokens
        self.work = self.dir / "real"
        self.work.mkdir(parents=True, exist_ok=True)
        self.logs = self.work / "logs"
        self.logs.mkdir(exist_ok=True)
        self.procs = {}
        self.ports = {}
        self.ca = str(self.dir / "ca.crt")
        self.versions = json.loads((self.cache / "versions.json").read_text())

    # ---- helpers
    def _spawn(self, name, argv):
        exe = self.bin / argv[0]
        if not exe.exists():
            raise RealLabError("%s is missing from %s: run 'make real-build'" % (argv[0], self.bin))
        log = open(self.logs / (name + ".log"), "ab")
        proc = subprocess.Popen([str(exe)] + [str(a) for a in argv[1:]], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=str(self.work))
        self.procs[name] = proc
        (self.dir / "pids.json").write_text(json.dumps({n: p.pid for n, p in self.procs.items()}))
        return proc

    def _check_alive(self):
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                tail = (self.logs / (name + ".log")).read_text(errors="replace")[-2500:]
                raise RealLabError("%s exited with %s:\n%s" % (name, proc.returncode, tail))

    def url(self, name):
        return "https://127.0.0.1:%d" % self.ports[name]

    def rest(self, name):
        return Rest(self.url(name), self.tokens[name], self.ca)

    def kubeconfig(self, name):
        """The admin kubeconfig of one server, written once (processes started earlier read it)."""
        path = self.work / ("%s.kubeconfig" % name)
        if path.exists():
            return str(path)
        cfg = {"apiVersion": "v1", "kind": "Config", "current-context": name,
               "clusters": [{"name": name, "cluster": {"server": self.url(name),
                                                       "certificate-authority": self.ca}}],
               "users": [{"name": name, "user": {"token": self.tokens[name]}}],
               "contexts": [{"name": name, "context": {"cluster": name, "user": name}}]}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(cfg))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        return str(path)

    # ---- start
    def start(self):
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self):
        t0 = time.monotonic()
        self.pki = make_pki(self.dir, self.work / "pki")
        tokens_csv = self.work / "tokens.csv"
        tokens_csv.write_text("".join('%s,lab-admin-%s,lab-admin-%s,"system:masters"\n' % (tok, n, n)
                                      for n, tok in self.tokens.items()))
        os.chmod(tokens_csv, 0o600)
        self._start_etcd()
        for name in ("source", "target", "karmada"):
            self._start_apiserver(name, tokens_csv)
        for name in ("source", "target", "karmada"):
            self._wait_ready(name)
        for name in ("source", "target", "karmada"):
            self._start_controller_manager(name)
        for name in MEMBERS:
            self._start_scheduler(name)
            self._start_kwok(name)
        self._install_karmada()
        self.timings = {"start_s": round(time.monotonic() - t0, 1)}
        return self

    def _start_etcd(self):
        client, peer = free_port(), free_port()
        self.ports["etcd"] = client
        self._spawn("etcd", ["etcd", "--name", "lab", "--data-dir", self.work / "etcd",
                             "--listen-client-urls", "http://127.0.0.1:%d" % client,
                             "--advertise-client-urls", "http://127.0.0.1:%d" % client,
                             "--listen-peer-urls", "http://127.0.0.1:%d" % peer,
                             "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % peer,
                             "--initial-cluster", "lab=http://127.0.0.1:%d" % peer,
                             "--listen-metrics-urls", "http://127.0.0.1:%d" % free_port(),
                             "--unsafe-no-fsync", "--quota-backend-bytes", str(4 * 2 ** 30),
                             "--log-level", "warn"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/health" % client, timeout=2) as resp:
                    if b"true" in resp.read():
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RealLabError("etcd did not become healthy")

    def _start_apiserver(self, name, tokens_csv):
        port = free_port()
        self.ports[name] = port
        cert, key = self.pki["serving"]
        argv = ["kube-apiserver", "--etcd-servers", "http://127.0.0.1:%d" % self.ports["etcd"],
                "--etcd-prefix", "/" + name, "--bind-address", "127.0.0.1", "--secure-port", port,
                "--advertise-address", "127.0.0.1", "--tls-cert-file", cert, "--tls-private-key-file", key,
                "--client-ca-file", self.ca, "--token-auth-file", tokens_csv, "--authorization-mode", "RBAC",
                "--service-account-issuer", "https://kubernetes.default.svc",
                "--service-account-key-file", self.work / "pki" / "sa.pub",
                "--service-account-signing-key-file", self.work / "pki" / "sa.key",
                "--service-cluster-ip-range", SERVICE_CIDRS[name], "--allow-privileged=true",
                # Endpoints may not hold loopback addresses: the lab manages no kubernetes Endpoints
                "--endpoint-reconciler-type", "none", "--profiling=false", "--max-requests-inflight", "800",
                "--max-mutating-requests-inflight", "400"]
        if name == "karmada":
            fp_cert, fp_key = self.pki["front-proxy-client"]
            argv += ["--disable-admission-plugins", "StorageObjectInUseProtection,ServiceAccount",
                     "--proxy-client-cert-file", fp_cert, "--proxy-client-key-file", fp_key,
                     "--requestheader-client-ca-file", self.pki["front-proxy-ca"][0],
                     "--requestheader-allowed-names", "front-proxy-client",
                     "--requestheader-extra-headers-prefix", "X-Remote-Extra-",
                     "--requestheader-group-headers", "X-Remote-Group",
                     "--requestheader-username-headers", "X-Remote-User"]
        self._spawn("%s-apiserver" % name, argv)

    def _wait_ready(self, name, timeout=120):
        deadline = time.monotonic() + timeout
        rest = self.rest(name)
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                rest.request("GET", "/readyz", ok=(200,))
                return
            except (RealLabError, OSError):
                time.sleep(0.3)
        raise RealLabError("%s API server not ready in %ds; see %s" % (
            name, timeout, self.logs / ("%s-apiserver.log" % name)))

    def _start_controller_manager(self, name):
        argv = ["kube-controller-manager", "--kubeconfig", self.kubeconfig(name),
                "--authentication-kubeconfig", self.kubeconfig(name),
                "--authorization-kubeconfig", self.kubeconfig(name),
                "--bind-address", "127.0.0.1", "--secure-port", free_port(), "--leader-elect=false",
                "--service-account-private-key-file", self.work / "pki" / "sa.key", "--root-ca-file", self.ca,
                "--service-cluster-ip-range", SERVICE_CIDRS[name], "--kube-api-qps", "200",
                "--kube-api-burst", "400", "--use-service-account-credentials=false"]
        if name == "karmada":
            # as Karmada's own kube-controller-manager manifest (artifacts/deploy/kube-controller-manager.yaml)
            argv += ["--controllers", "namespace,garbagecollector,serviceaccount-token,ttl-after-finished,"
                     "bootstrapsigner,tokencleaner,csrcleaner,clusterrole-aggregation"]
        else:
            argv += ["--controllers", "*,-csrsigning,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,"
                     "-node-route-controller", "--concurrent-deployment-syncs", "10",
                     "--concurrent-replicaset-syncs", "10"]
        self._spawn("%s-controller-manager" % name, argv)

    def _start_scheduler(self, name):
        self._spawn("%s-scheduler" % name, [
            "kube-scheduler", "--kubeconfig", self.kubeconfig(name),
            "--authentication-kubeconfig", self.kubeconfig(name), "--authorization-kubeconfig", self.kubeconfig(name),
            "--bind-address", "127.0.0.1", "--secure-port", free_port(), "--leader-elect=false"])

    def _start_kwok(self, name):
        stages = self.cache / "kwok-stages"
        docs = [{"apiVersion": "config.kwok.x-k8s.io/v1alpha1", "kind": "KwokConfiguration",
                 "options": {"cidr": POD_CIDRS[name], "podPlayStageParallelism": 8, "nodePlayStageParallelism": 4,
                             "nodeLeaseParallelism": 2, "podsOnNodeSyncParallelism": 4}}]
        for rel in KWOK_STAGES:
            docs.extend(d for d in yaml.safe_load_all((stages / rel).read_text()) if d)
        docs = graceful_pod_delete(docs)
        config = self.work / ("kwok-%s.yaml" % name)
        config.write_text(yaml.safe_dump_all(docs))
        self._spawn("%s-kwok" % name, [
            "kwok", "--kubeconfig", self.kubeconfig(name), "--config", config, "--manage-all-nodes=false",
            "--manage-nodes-with-annotation-selector", "kwok.x-k8s.io/node=fake",
            "--cidr", POD_CIDRS[name], "--node-ip", POD_CIDRS[name].split("/")[0],
            "--server-address", "127.0.0.1:%d" % free_port()])

    # ---- Karmada
    def _karmada_manifests(self):
        kdir = self.cache / "karmada"
        ca_bundle = base64.b64encode(Path(self.ca).read_bytes()).decode()
        return kdir, ca_bundle

    def _install_karmada(self):
        kdir, ca_bundle = self._karmada_manifests()
        rest = self.rest("karmada")
        for ns in ("karmada-system", "karmada-cluster", "karmada-es-placeholder"):
            rest.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        self.ports["karmada-webhook"] = free_port()
        webhook_url = "https://127.0.0.1:%d" % self.ports["karmada-webhook"]
        # CRDs: the bases Karmada's kustomization lists, with its conversion webhook patches
        kust = yaml.safe_load((kdir / CRD_KUSTOMIZATION).read_text())
        patches = {}
        for patch in kust.get("patches") or []:
            doc = yaml.safe_load((kdir / "crds" / patch["path"]).read_text())
            patches[doc["metadata"]["name"]] = doc["spec"]["conversion"]
        for rel in kust["resources"]:
            crd = yaml.safe_load((kdir / "crds" / rel).read_text())
            conv = patches.get(crd["metadata"]["name"])
            if conv:
                conv = json.loads(json.dumps(conv).replace("https://{{name}}.{{namespace}}.svc:443", webhook_url)
                                  .replace("{{caBundle}}", ca_bundle))
                crd["spec"]["conversion"] = conv
            rest.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
        # karmada-webhook first: the CRDs' conversion and the policies' defaults go through it
        cert_dir = self.work / "pki" / "webhook"
        self._spawn("karmada-webhook", [
            "karmada-webhook", "--kubeconfig", self.kubeconfig("karmada"), "--bind-address", "127.0.0.1",
            "--secure-port", self.ports["karmada-webhook"], "--cert-dir", cert_dir,
            "--metrics-bind-address", "127.0.0.1:%d" % free_port(),
            "--health-probe-bind-address", "127.0.0.1:%d" % free_port(), "--allow-no-execute-taint-policy=true",
            "--feature-gates", "AllAlpha=true,AllBeta=true"])
        self._wait_tls(self.ports["karmada-webhook"], "karmada-webhook")
        text = (kdir / "webhook-configuration.yaml").read_text()
        text = text.replace(WEBHOOK_SERVICE, webhook_url).replace("{{caBundle}}", ca_bundle)
        for doc in yaml.safe_load_all(text):
            if not doc:
                continue
            plural = {"MutatingWebhookConfiguration": "mutatingwebhookconfigurations",
                      "ValidatingWebhookConfiguration": "validatingwebhookconfigurations"}[doc["kind"]]
            rest.create("/apis/admissionregistration.k8s.io/v1/" + plural, doc)
        # the aggregated API server (cluster.karmada.io) behind an ExternalName Service
        self.ports["karmada-aggregated-apiserver"] = agg = free_port()
        cert, key = self.pki["serving"]
        self._spawn("karmada-aggregated-apiserver", [
            "karmada-aggregated-apiserver", "--kubeconfig", self.kubeconfig("karmada"),
            "--authentication-kubeconfig", self.kubeconfig("karmada"),
            "--authorization-kubeconfig", self.kubeconfig("karmada"),
            "--etcd-servers", "http://127.0.0.1:%d" % self.ports["etcd"], "--etcd-prefix", "/karmada-aggregated",
            "--tls-cert-file", cert, "--tls-private-key-file", key, "--bind-address", "127.0.0.1",
            "--secure-port", agg])
        rest.create("/api/v1/namespaces/karmada-system/services", {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "karmada-aggregated-apiserver", "namespace": "karmada-system"},
            "spec": {"type": "ExternalName", "externalName": "localhost"}})
        rest.create("/apis/apiregistration.k8s.io/v1/apiservices", {
            "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
            "metadata": {"name": "v1alpha1.cluster.karmada.io"},
            "spec": {"caBundle": ca_bundle, "group": "cluster.karmada.io", "groupPriorityMinimum": 2000,
                     "version": "v1alpha1", "versionPriority": 10,
                     "service": {"name": "karmada-aggregated-apiserver", "namespace": "karmada-system",
                                 "port": agg}}})
        self._spawn("karmada-controller-manager", [
            "karmada-controller-manager", "--kubeconfig", self.kubeconfig("karmada"),
            # flags of Karmada's own manifest (artifacts/deploy/karmada-controller-manager.yaml)
            "--cluster-status-update-frequency", "5s",
            "--controllers", "*,hpaScaleTargetMarker,deploymentReplicasSyncer",
            "--feature-gates", "AllAlpha=true,AllBeta=true", "--enable-no-execute-taint-eviction=true",
            "--leader-elect=false",
            "--metrics-bind-address", "127.0.0.1:%d" % free_port(),
            "--health-probe-bind-address", "127.0.0.1:%d" % free_port(), "--kube-api-qps", "200",
            "--kube-api-burst", "400"])
        self._spawn("karmada-scheduler", [
            "karmada-scheduler", "--kubeconfig", self.kubeconfig("karmada"), "--leader-elect=false",
            "--feature-gates", "AllAlpha=true,AllBeta=true",
            "--enable-scheduler-estimator=false", "--metrics-bind-address", "127.0.0.1:%d" % free_port(),
            "--health-probe-bind-address", "127.0.0.1:%d" % free_port(), "--kube-api-qps", "200",
            "--kube-api-burst", "400"])
        self._wait_ready("karmada")
        rest.wait("/apis/cluster.karmada.io/v1alpha1/clusters", timeout=120)

    def _wait_tls(self, port, name, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RealLabError("%s did not listen on %d" % (name, port))

    # ---- members
    def join(self, member_name, cluster_key, labels=None):
        """Push-mode join as ``karmadactl join`` does: a Cluster with the member's endpoint and a
        Secret in karmada-cluster holding its token and CA bundle."""
        rest = self.rest("karmada")
        ca_bundle = base64.b64encode(Path(self.ca).read_bytes()).decode()
        rest.create("/api/v1/namespaces/karmada-cluster/secrets", {
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": member_name, "namespace": "karmada-cluster"},
            "data": {"token": base64.b64encode(self.tokens[cluster_key].encode()).decode(), "caBundle": ca_bundle}})
        rest.create("/apis/cluster.karmada.io/v1alpha1/clusters", {
            "apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
            "metadata": {"name": member_name, "labels": dict(labels or {})},
            "spec": {"syncMode": "Push", "apiEndpoint": self.url(cluster_key),
                     "secretRef": {"namespace": "karmada-cluster", "name": member_name}}})

    def unjoin(self, member_name):
        rest = self.rest("karmada")
        rest.request("DELETE", "/apis/cluster.karmada.io/v1alpha1/clusters/%s" % member_name, ok=(200, 202, 404))

    # ---- stop
    def stop(self, timeout=8):
        """Controllers first, the API servers, etcd last; what has not exited in ``timeout`` is killed
        (the lab's state is thrown away anyway)."""
        procs = list(self.procs.values())[::-1]
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + timeout
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
