"""Real Distribution registries on 127.0.0.1 for the image_sync tests.

* :class:`Registry` runs Debian's ``docker-registry`` with its own storage directory, a free port,
  optional htpasswd basic auth, and an access log the tests read to count writes.
* :func:`build_oci_layout` writes small images (single platform or a multi-platform OCI index) as an
  OCI image layout, built here from tarballs made in Python; :func:`skopeo_push` seeds a registry.
* :class:`FaultProxy` sits between the module and a registry and drops connections once a number of
  request bytes went through (a network cut or a registry gone mid-blob).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def tools_missing():
    return [t for t in ("docker-registry", "skopeo", "htpasswd") if shutil.which(t) is None]


def ensure_tools():
    """Install the tools with setup_registries.sh when missing (root or sudo needed)."""
    if tools_missing():
        subprocess.run(["sh", str(HERE / "setup_registries.sh")], check=False, capture_output=True, timeout=900)
    return tools_missing()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Registry:
    def __init__(self, workdir, name, users=None, token=None, tls=None):
        """``users``: htpasswd basic auth. ``token``: a :class:`TokenServer` (Bearer auth).
        ``tls``: ``(cert_path, key_path)`` to serve HTTPS."""
        self.dir = Path(workdir) / name
        self.name = name
        self.users = users or {}
        self.token = token
        self.tls = tls
        self.port = None
        self.proc = None
        self.log_path = self.dir / "access.log"

    @property
    def host(self):
        return "127.0.0.1:%d" % self.port

    @property
    def url(self):
        return ("https://" if self.tls else "http://") + self.host

    def start(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "data").mkdir(exist_ok=True)
        if self.port is None:
            self.port = free_port()
        auth = ""
        if self.users:
            lines = []
            for user, password in sorted(self.users.items()):
                out = subprocess.run(["htpasswd", "-Bbn", user, password], check=True, capture_output=True,
                                     text=True).stdout.strip()
                lines.append(out)
            (self.dir / "htpasswd").write_text("\n".join(lines) + "\n")
            auth = "auth:\n  htpasswd:\n    realm: %s\n    path: %s\n" % (self.name, self.dir / "htpasswd")
        if self.token:
            auth = ("auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n"
                    % (self.token.realm, self.token.service, self.token.issuer, self.token.cert_path))
        tls = ""
        if self.tls:
            tls = "  tls:\n    certificate: %s\n    key: %s\n" % self.tls
        (self.dir / "config.yml").write_text(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: false\n"
            "storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n"
            "  maintenance:\n    uploadpurging:\n      enabled: false\n"
            "http:\n  addr: 127.0.0.1:%d\n%s%s" % (self.dir / "data", self.port, tls, auth))
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["docker-registry", "serve", str(self.dir / "config.yml")],
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("registry %s exited: %s" % (self.name, self.log_path.read_text()[-2000:]))
            try:
                requests.get(self.url + "/v2/", timeout=1, verify=self.verify)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("registry %s did not start" % self.name)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        if getattr(self, "_log", None):
            self._log.close()

    # -- reading the registry as a client would -------------------------------------------
    @property
    def verify(self):
        return self.tls[0] if self.tls else True

    @property
    def auth(self):
        if self.token:
            return self.token.admin_auth()
        if not self.users:
            return None
        user = sorted(self.users)[0]
        return (user, self.users[user])

    def manifest_digest(self, repo, ref):
        resp = requests.head("%s/v2/%s/manifests/%s" % (self.url, repo, ref),
                             auth=self.auth, timeout=10, verify=self.verify,
                             headers={"Accept": ", ".join([OCI_INDEX, OCI_MANIFEST,
                                                           "application/vnd.docker.distribution.manifest.v2+json",
                                                           "application/vnd.docker.distribution.manifest.list.v2+json"])})
        if resp.status_code == 404:
            return None
        resp.raise_for_status()
        return resp.headers["Docker-Content-Digest"]

    def manifest(self, repo, ref):
        resp = requests.get("%s/v2/%s/manifests/%s" % (self.url, repo, ref),
                            auth=self.auth, timeout=10, verify=self.verify,
                            headers={"Accept": ", ".join([OCI_INDEX, OCI_MANIFEST,
                                                          "application/vnd.docker.distribution.manifest.v2+json",
                                                          "application/vnd.docker.distribution.manifest.list.v2+json"])})
        resp.raise_for_status()
        return resp.content

    def has_blob(self, repo, digest):
        return requests.head("%s/v2/%s/blobs/%s" % (self.url, repo, digest), auth=self.auth,
                             timeout=10, verify=self.verify).status_code == 200

    def delete_blob(self, repo, digest):
        resp = requests.delete("%s/v2/%s/blobs/%s" % (self.url, repo, digest), auth=self.auth, timeout=10,
                               verify=self.verify)
        assert resp.status_code == 202, resp.text

    def catalog(self):
        resp = requests.get(self.url + "/v2/_catalog", auth=self.auth, timeout=10, verify=self.verify)
        resp.raise_for_status()
        return resp.json().get("repositories") or []

    def tags(self, repo):
        resp = requests.get("%s/v2/%s/tags/list" % (self.url, repo), auth=self.auth, timeout=10, verify=self.verify)
        if resp.status_code == 404:
            return []
        resp.raise_for_status()
        return resp.json().get("tags") or []

    def log_mark(self):
        return self.log_path.stat().st_size

    def writes_since(self, mark):
        """Write requests (POST/PUT/PATCH/DELETE) in the access log after ``mark``."""
        with open(self.log_path, "rb") as fh:
            fh.seek(mark)
            text = fh.read().decode("utf-8", "replace")
        return [line for line in text.splitlines()
                if any('"%s /v2/' % m in line for m in ("POST", "PUT", "PATCH", "DELETE"))]


# -- Bearer token service ------------------------------------------------------------------

class TokenServer:
    """The token service of the Distribution token auth spec: ``GET /token?service=&scope=`` with basic
    credentials answers a JWT (RS256, ``x5c`` header) granting the asked scopes. Anonymous and wrong
    credentials get 401. ``requests`` keeps every (user, scopes) asked for."""

    def __init__(self, workdir, users, anonymous_pull=False):
        import base64
        import datetime
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qs, urlsplit

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
        from cryptography.x509.oid import NameOID

        self.users = dict(users)
        self.anonymous_pull = anonymous_pull
        self.service = "lab-registry"
        self.issuer = "lab-token-issuer"
        self.requests = []
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lab token signer")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self._key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                .sign(self._key, hashes.SHA256()))
        self.cert_path = Path(workdir) / "token-signer.crt"
        self.cert_path.parent.mkdir(parents=True, exist_ok=True)
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self._x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        self._sign = lambda data: self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                query = parse_qs(urlsplit(self.path).query)
                scopes = query.get("scope", [])
                user = None
                header = self.headers.get("Authorization") or ""
                if header.startswith("Basic "):
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                    if server.users.get(user) != password:
                        user = "!rejected"
                if user is None and server.anonymous_pull:
                    # like a public registry: anonymous tokens may pull, never push
                    user = "anonymous"
                    scopes = [sc.rsplit(":", 1)[0] + ":pull" for sc in scopes if "pull" in sc.rsplit(":", 1)[-1]]
                server.requests.append((user, tuple(scopes)))
                if user is None or user == "!rejected":
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                access = []
                for scope in scopes:
                    kind, _, rest = scope.partition(":")
                    repo, _, actions = rest.rpartition(":")
                    access.append({"type": kind, "name": repo, "actions": actions.split(",")})
                body = json.dumps({"token": server.mint(user, access)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.realm = "http://127.0.0.1:%d/token" % self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    @staticmethod
    def _b64(data):
        import base64
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    def mint(self, user, access):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._x5c]}
        claims = {"iss": self.issuer, "sub": user, "aud": self.service, "exp": now + 600, "nbf": now - 60,
                  "iat": now, "jti": os.urandom(8).hex(), "access": access}
        signing_input = "%s.%s" % (self._b64(json.dumps(header).encode()), self._b64(json.dumps(claims).encode()))
        return "%s.%s" % (signing_input, self._b64(self._sign(signing_input.encode())))

    def admin_auth(self):
        server = self

        def add_token(request):
            parts = request.path_url.split("?")[0].split("/")
            # /v2/<repo...>/(manifests|blobs|tags)/... or /v2/_catalog
            if "_catalog" in parts:
                access = [{"type": "registry", "name": "catalog", "actions": ["*"]}]
            else:
                marker = next(i for i, p in enumerate(parts) if p in ("manifests", "blobs", "tags"))
                access = [{"type": "repository", "name": "/".join(parts[2:marker]), "actions": ["*"]}]
            request.headers["Authorization"] = "Bearer " + server.mint("admin", access)
            return request
        return add_token

    def close(self):
        self._httpd.shutdown()


# -- OCI layouts ---------------------------------------------------------------------------

def _layer(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as fh:
        fh.write(tar_bytes)
    return gz.getvalue(), "sha256:" + hashlib.sha256(tar_bytes).hexdigest()


class Layout:
    """An OCI image layout directory being written."""

    def __init__(self, path):
        self.path = Path(path)
        (self.path / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (self.path / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
        self.refs = []

    def blob(self, data, media_type):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        (self.path / "blobs" / "sha256" / digest.split(":")[1]).write_bytes(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def image(self, os_name, arch, layers):
        """``layers``: list of dicts {path: bytes}. Returns the manifest descriptor."""
        descs, diff_ids = [], []
        for files in layers:
            data, diff_id = _layer(files)
            descs.append(self.blob(data, OCI_LAYER))
            diff_ids.append(diff_id)
        config = json.dumps({"architecture": arch, "os": os_name, "config": {"Cmd": ["/bin/true"]},
                             "rootfs": {"type": "layers", "diff_ids": diff_ids}}, sort_keys=True).encode()
        manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                               "config": self.blob(config, OCI_CONFIG), "layers": descs}).encode()
        desc = self.blob(manifest, OCI_MANIFEST)
        desc["platform"] = {"architecture": arch, "os": os_name}
        return desc

    def index(self, manifests):
        data = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}).encode()
        return self.blob(data, OCI_INDEX)

    def tag(self, desc, name):
        entry = {k: v for k, v in desc.items() if k != "platform"}
        entry["annotations"] = {"org.opencontainers.image.ref.name": name}
        self.refs.append(entry)
        (self.path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": self.refs}))
        return desc["digest"]


def skopeo_push(layout_dir, tag, registry, repo, all_platforms=True, fmt=None):
    policy = Path(layout_dir) / "policy.json"
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    cmd = ["skopeo", "--policy", str(policy), "copy", "--dest-tls-verify=false", "--retry-times", "2"]
    if all_platforms:
        cmd += ["--all"] + ([] if fmt else ["--preserve-digests"])
    if fmt:
        cmd += ["--format", fmt]
    if registry.auth:
        cmd += ["--dest-creds", "%s:%s" % registry.auth]
    cmd += ["oci:%s:%s" % (layout_dir, tag), "docker://%s/%s:%s" % (registry.host, repo, tag)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError("skopeo failed: %s\n%s" % (" ".join(cmd), proc.stderr))
    return proc


# -- fault injection ------------------------------------------------------------------------

class FaultProxy:
    """TCP proxy to ``upstream_port``. ``arm(n)`` lets ``n`` more request bytes through, then cuts the
    connection carrying the next byte and refuses every later connection until ``heal()``."""

    def __init__(self, upstream_port):
        self.upstream = ("127.0.0.1", upstream_port)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.budget = None
        self.pattern = None
        self.pattern_left = 0
        self.hook = None
        self.tripped = False
        self.lock = threading.Lock()
        self.closing = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def arm(self, nbytes):
        with self.lock:
            self.budget = nbytes
            self.tripped = False

    def cut_on(self, pattern, occurrence=1):
        """Cut when the request stream shows ``pattern`` for the ``occurrence``-th time (that request
        is not forwarded), then refuse every connection: a registry going away at a known point."""
        with self.lock:
            self.pattern = pattern
            self.pattern_left = occurrence
            self.tripped = False

    def on_pattern(self, pattern, fn):
        """Call ``fn()`` (once) when the request stream first shows ``pattern``, before forwarding it."""
        with self.lock:
            self.hook = (pattern, fn)

    def heal(self):
        with self.lock:
            self.budget = None
            self.pattern = None
            self.tripped = False
            self.hook = None

    def close(self):
        self.closing = True
        self.sock.close()

    def _accept(self):
        while not self.closing:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                refused = self.tripped
            if refused:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src, dst, request_side):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if request_side:
                    hook = None
                    with self.lock:
                        if self.hook and self.hook[0] in data:
                            hook, self.hook = self.hook[1], None
                    if hook:
                        hook()
                    with self.lock:
                        if self.tripped:
                            raise OSError("cut")
                        if self.pattern is not None and self.pattern in data:
                            self.pattern_left -= data.count(self.pattern)
                            if self.pattern_left <= 0:
                                self.tripped = True
                                raise OSError("cut")
                        if self.budget is not None:
                            if len(data) > self.budget:
                                data = data[:self.budget]
                                self.tripped = True
                            self.budget -= len(data)
                    if data:
                        dst.sendall(data)
                    with self.lock:
                        if self.tripped:
                            raise OSError("cut")
                else:
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                try:
                    s.close()
                except OSError:
                    pass


# -- the two-registry lab the tests share ---------------------------------------------------

LAB_USER, LAB_PASSWORD = "ops", "registry-pass-1"


def start_lab(work):
    """Source (open) and target (basic auth) registries, seeded with ``shop/web:1.0`` (a two-platform OCI
    index, one layer above 100 kB), ``shop/weblist:1.0`` (the same as a Docker manifest list) and
    ``shop/tool:2.0`` (Docker schema 2). Call ``stop_lab`` after."""
    work = Path(work)
    src = Registry(work, "source").start()
    dst = Registry(work, "target", users={LAB_USER: LAB_PASSWORD}).start()
    try:
        layout = Layout(work / "layout")
        amd = layout.image("linux", "amd64", [{"etc/base": b"base layer"}, {"app/blob.bin": os.urandom(400000)}])
        arm = layout.image("linux", "arm64", [{"etc/base": b"base layer arm"}, {"app/a": b"arm app"}])
        index = layout.index([amd, arm])
        layout.tag(index, "1.0")
        single = layout.image("linux", "amd64", [{"etc/base": b"base layer"}, {"bin/tool": b"tool v2"}])
        layout.tag(single, "2.0")
        skopeo_push(layout.path, "1.0", src, "shop/web")
        skopeo_push(layout.path, "2.0", src, "shop/tool", all_platforms=False, fmt="v2s2")
        # the same two platforms converted to a Docker manifest list of schema 2 manifests
        skopeo_push(layout.path, "1.0", src, "shop/weblist", all_platforms=True, fmt="v2s2")
    except Exception:
        src.stop()
        dst.stop()
        raise
    return dict(src=src, dst=dst, index=index, amd=amd, arm=arm, work=work)


def stop_lab(lab):
    lab["src"].stop()
    lab["dst"].stop()


class HttpFaultProxy:
    """HTTP proxy to a registry that answers chosen requests itself with an error status.

    ``fail(method, path_part, status, times, retry_after=None)``: the next ``times`` requests whose method
    is ``method`` and whose path contains ``path_part`` get ``status`` (with ``Retry-After`` when given)
    without reaching the registry. Other requests are forwarded, bodies streamed both ways; the ``Host``
    header is kept, so upload locations point back at the proxy. ``log`` lists (method, path, status).
    """

    def __init__(self, upstream_port):
        import http.client
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.upstream_port = upstream_port
        self.rules = []
        self.log = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                with proxy.lock:
                    rule = next((r for r in proxy.rules if r["left"] > 0 and r["method"] == self.command
                                 and r["part"] in self.path), None)
                    if rule:
                        rule["left"] -= 1
                length = int(self.headers.get("Content-Length") or 0)
                if rule:
                    if length:
                        self.rfile.read(length)
                    body = b'{"errors":[{"code":"UNAVAILABLE","message":"injected by the test"}]}'
                    self.send_response(rule["status"])
                    if rule["retry_after"] is not None:
                        self.send_header("Retry-After", str(rule["retry_after"]))
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)
                    with proxy.lock:
                        proxy.log.append((self.command, self.path, rule["status"]))
                    return
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
                body = self.rfile.read(length) if length else None
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                self.send_response(resp.status)
                for key, value in resp.getheaders():
                    if key.lower() not in ("connection", "transfer-encoding"):
                        self.send_header(key, value)
                data = resp.read() if self.command != "HEAD" else b""
                if resp.getheader("Content-Length") is None and self.command != "HEAD":
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if data:
                    self.wfile.write(data)
                conn.close()
                with proxy.lock:
                    proxy.log.append((self.command, self.path, resp.status))

            do_GET = do_HEAD = do_PUT = do_PATCH = do_POST = do_DELETE = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def fail(self, method, part, status, times=1, retry_after=None):
        with self.lock:
            self.rules.append(dict(method=method, part=part, status=status, left=times, retry_after=retry_after))

    def close(self):
        self._httpd.shutdown()
