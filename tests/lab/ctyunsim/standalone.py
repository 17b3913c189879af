"""Run the simulation on its own, in a background thread (for its tests and for debugging).

The lab normally serves ``make_app(lab)`` next to the Kubernetes servers. ``StubLab`` stands in
for the lab's ``Lab`` where only the CTyun part is needed: knobs, a request log, a fault
middleware (``lost_response`` drops the answer after the request was applied), and a fixed
kubeconfig for ``kubeconfig_for``.
"""

from __future__ import annotations

import asyncio
import random
import threading

from aiohttp import web

from . import WRITE_KEY, make_app


class StubLab:
    def __init__(self, knobs=None, kubeconfigs=None):
        self.knobs = dict(knobs or {})
        self.request_log: list = []
        self.kubeconfigs = dict(kubeconfigs or {})

    def kubeconfig_for(self, name: str) -> str:
        return self.kubeconfigs.get(name, "apiVersion: v1\nkind: Config\nclusters: []\n")

    def middlewares(self, server_name: str):
        """Request log plus faults: ``LAB_FAULT_RATE`` (0..1) of the requests whose method is in
        ``LAB_FAULT_METHODS`` get ``LAB_FAULT_KIND``: ``lost_response`` (applied, then the connection
        drops), ``reset`` (dropped before it is applied), ``429`` (with ``Retry-After: 0``), ``500``,
        ``503``, or ``mixed`` (one of these at random). ``LAB_FAULT_PATHS`` (comma-separated path prefixes)
        limits faults to those paths. ``LAB_SEED`` makes the choice reproducible."""
        lab = self
        rng = random.Random(int(self.knobs.get("LAB_SEED", 1)))

        def log(request, status):
            lab.request_log.append({"server": server_name, "method": request.method, "path": request.path,
                                    "status": status, "write": bool(request.get(WRITE_KEY))})

        def fault_for(request):
            rate = float(lab.knobs.get("LAB_FAULT_RATE", 0) or 0)
            methods = lab.knobs.get("LAB_FAULT_METHODS", "GET,POST,PUT,DELETE").split(",")
            paths = [x for x in (lab.knobs.get("LAB_FAULT_PATHS") or "").split(",") if x]
            if paths and not any(request.path.startswith(x) for x in paths):
                return None
            if not rate or request.method not in methods or rng.random() >= rate:
                return None
            kind = lab.knobs.get("LAB_FAULT_KIND", "lost_response")
            if kind == "mixed":
                kind = rng.choice(["lost_response", "reset", "429", "500", "503"])
            return kind

        @web.middleware
        async def log_and_faults(request, handler):
            kind = fault_for(request)
            if kind == "reset":
                log(request, 0)
                request.transport.abort()
                raise asyncio.CancelledError()
            if kind in ("429", "500", "503"):
                log(request, int(kind))
                headers = {"Retry-After": "0"} if kind == "429" else {}
                return web.json_response({"statusCode": 900, "error": "LAB_FAULT", "message": "injected fault",
                                          "returnObj": None}, status=int(kind), headers=headers)
            response = await handler(request)
            log(request, response.status)
            if kind == "lost_response":
                request.transport.abort()
                raise asyncio.CancelledError()
            return response
        return [log_and_faults]


class ServerThread:
    """Serve an aiohttp app on 127.0.0.1 in a thread; ``url`` once started."""

    def __init__(self, app: web.Application, ssl_context=None):
        self.app = app
        self.ssl_context = ssl_context
        self.loop = asyncio.new_event_loop()
        self.port = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.runner = web.AppRunner(self.app, handle_signals=False, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self._started.set()
        self.loop.run_forever()

    @property
    def url(self) -> str:
        return "%s://127.0.0.1:%d" % ("https" if self.ssl_context else "http", self.port)

    def start(self) -> ServerThread:
        self._thread.start()
        self._started.wait(10)
        return self

    def stop(self):
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


def serve(lab=None, ssl_context=None) -> ServerThread:
    return ServerThread(make_app(lab if lab is not None else StubLab()), ssl_context).start()


def self_signed_tls(directory) -> tuple:
    """A server TLS context for 127.0.0.1 and the path of the CA bundle clients should trust."""
    import datetime
    import ipaddress
    import os
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ctyun-lab")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path = os.path.join(directory, "ctyun-lab.crt")
    key_path = os.path.join(directory, "ctyun-lab.key")
    with open(cert_path, "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx, cert_path
