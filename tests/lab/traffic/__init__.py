"""The lab's data plane for traffic tests: an HTTP entry per member cluster (``entry.py``) and the
load balancer in front of the source entry (``haproxy.py``), on both backends.

``await start(lab)`` runs once the clusters and the CTyun simulation are up, before the lab writes
its outputs; it sets ``lab.traffic`` (``.entries`` = {"source": Entry, "target": Entry}, each with
``.port`` and ``.url``; ``.balancer``, None while there is none). ``await stop(lab)`` at lab stop.
``outputs(lab)`` is the ``traffic`` section of ``env.json``: ``public_url`` (the balancer's public
entry, or None), ``source_entry`` / ``target_entry`` (``{"host", "port"}``) and ``cce_entry_name``,
the name an ExternalName Service on the source gives to send a route's traffic to the target entry.

The entries read the clusters' API without going through what the lab logs: on the real backend
the API servers' own addresses (``real.json`` ``direct``), on the simulation a second listener per
cluster serving the same API with the token check only (no request log, latency or faults).
"""

from __future__ import annotations

import inspect
import traceback

from .entry import Entry

CCE_ENTRY_NAME = "cce-entry.lab.internal"
MEMBERS = ("source", "target")


class Traffic:
    def __init__(self):
        self.entries = {}
        self.balancer = None
        self.balancer_error = None
        self.runners = []          # the simulation's direct API listeners

    def outputs(self):
        out = {"public_url": None, "cce_entry_name": CCE_ENTRY_NAME}
        if self.balancer is not None:
            out["public_url"] = "http://127.0.0.1:%d" % self.balancer.public_port
        elif self.balancer_error:
            out["balancer_error"] = self.balancer_error
        for name, entry in self.entries.items():
            out["%s_entry" % name] = {"host": "127.0.0.1", "port": entry.port}
        return out


async def _sim_direct(lab, name, traffic):
    """The simulated cluster's API on a second HTTPS listener without the lab's middleware: the
    bearer token is checked, nothing is logged, no latency or fault is added."""
    from aiohttp import web

    from tests.lab.kubesim.server import KubeApp, status_error

    cluster = lab.clusters[name]
    expected = "Bearer %s" % cluster.token

    @web.middleware
    async def token_only(request, handler):
        if request.headers.get("Authorization", "") != expected:
            return status_error(401, "Unauthorized", "Unauthorized")
        return await handler(request)

    app = web.Application(middlewares=[token_only], client_max_size=64 * 2 ** 20)
    app.add_routes(KubeApp(cluster).routes())
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=lab._ssl)
    await site.start()
    traffic.runners.append(runner)
    return "https://127.0.0.1:%d" % site._server.sockets[0].getsockname()[1]


async def _api_url(lab, name, traffic):
    planes = getattr(lab, "planes", None)
    if planes is not None:          # real: the API server itself, not the recording proxy
        return planes.url(name)
    return await _sim_direct(lab, name, traffic)


async def start(lab):
    traffic = Traffic()
    lab.traffic = traffic
    cafile = str(lab.ca["ca"])
    urls = {}
    for name in MEMBERS:
        urls[name] = await _api_url(lab, name, traffic)
    target = Entry("target", urls["target"], lab.clusters["target"].token, cafile)
    await target.start()
    traffic.entries["target"] = target
    source = Entry("source", urls["source"], lab.clusters["source"].token, cafile, cce_entry_name=CCE_ENTRY_NAME,
                   routes=True)
    source.peer_url = target.url
    await source.start()
    traffic.entries["source"] = source
    try:
        from .haproxy import start_balancer
    except ImportError:   # the load balancer is optional: the entries work without it
        start_balancer = None
    if start_balancer is not None:
        try:
            balancer = start_balancer(lab.dir, seeded_targets=[("127.0.0.1", source.port)])
            traffic.balancer = await balancer if inspect.isawaitable(balancer) else balancer
        except Exception as exc:  # noqa: BLE001 - the lab still serves everything else; env.json says why
            traffic.balancer_error = "%s: %s" % (type(exc).__name__, (str(exc).splitlines() or [""])[0])
            traceback.print_exc()
    print("traffic: source entry %s, target entry %s, balancer %s" % (
        source.url, target.url, traffic.outputs()["public_url"] or traffic.balancer_error or "none"), flush=True)
    return traffic


async def stop(lab):
    traffic = getattr(lab, "traffic", None)
    if traffic is None:
        return
    if traffic.balancer is not None:
        try:
            done = traffic.balancer.stop()
            if inspect.isawaitable(done):
                await done
        except Exception:  # noqa: BLE001 - stopping: the lab's process group goes down anyway
            traceback.print_exc()
    for entry in traffic.entries.values():
        await entry.stop()
    for runner in traffic.runners:
        await runner.cleanup()


def outputs(lab):
    traffic = getattr(lab, "traffic", None)
    return traffic.outputs() if traffic is not None else None
