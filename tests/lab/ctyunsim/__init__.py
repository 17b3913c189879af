"""CTyun OpenAPI simulation (EOP signing, envelope, CCE; CCE One and data transfer as route modules).

``make_app(lab)`` builds the aiohttp application the lab serves on its ``ctyun`` port.

Route modules: a module exposes ``register(sim)`` and adds handlers with
``sim.route(method, path, handler, write=...)``. A handler is
``async def handler(sim, request, body) -> returnObj``: ``request`` is the aiohttp request
(``request.match_info`` holds the ``{placeholders}`` of ``path``, ``request.query`` the decoded
query), ``body`` the parsed JSON body (``None`` when empty). It returns the ``returnObj`` of a
success envelope or raises :class:`SimError`. Signature, ``regionId`` and the envelope are the
framework's job; ``sim.region(request)`` and ``sim.access_key(request)`` give the caller's region
and access key (stored under ``REGION_KEY`` / ``AK_KEY``; ``WRITE_KEY`` and ``ROUTE_KEY`` say
whether the route writes and its name, for the lab's request log).

Shared helpers: ``sim.knob(name, default)`` (lab knobs, then the environment), ``sim.after(seconds,
fn)`` (run ``fn()`` once that much time has passed; due timers run before every request, so
state moves on without background tasks), ``sim.state`` (a dict; each module keeps its own key),
``sim.new_id(prefix)``, ``sim.now()``.
"""

from __future__ import annotations

import datetime
import importlib
import itertools
import json
import os
import time

from aiohttp import web

from . import eop, table

ROUTE_MODULES = ("cce", "cceone", "dts", "elb")

REGION_KEY = web.RequestKey("ctyun_region", str)
AK_KEY = web.RequestKey("ctyun_ak", str)
WRITE_KEY = web.RequestKey("ctyun_write", bool)
ROUTE_KEY = web.RequestKey("ctyun_route", str)


class SimError(Exception):
    """An API failure. ``code`` is a key of ``table.ERRORS`` or an error code string."""

    def __init__(self, code: str, message: str, status: int | None = None):
        super().__init__(message)
        if code in table.ERRORS:
            http, error = table.ERRORS[code]
        else:
            http, error = 200, code
        self.status = status if status is not None else http
        self.error = error
        self.message = message


def envelope(return_obj=None, status_code=table.STATUS_OK, message="success", error=None) -> dict:
    body = {"statusCode": status_code, "message": message, "returnObj": return_obj}
    if error is not None:
        body["error"] = error
    return body


class CtyunSim:
    def __init__(self, lab=None):
        self.lab = lab
        self.state: dict = {}
        self.routes: list = []
        self._timers: list = []
        self._ids = itertools.count(1)
        creds = getattr(lab, "ctyun_credentials", None) if lab is not None else None
        self.credentials = dict(creds) if creds else {
            os.environ.get("LAB_CTYUN_ACCESS_KEY", table.DEFAULT_ACCESS_KEY):
                os.environ.get("LAB_CTYUN_SECRET_KEY", table.DEFAULT_SECRET_KEY)}
        self.clock = time.monotonic
        self.wall_clock = lambda: datetime.datetime.now(datetime.timezone.utc)

    # -- helpers for route modules -----------------------------------------------------
    def knob(self, name: str, default):
        value = None
        knobs = getattr(self.lab, "knobs", None) if self.lab is not None else None
        if knobs is not None:
            value = knobs.get(name) if hasattr(knobs, "get") else getattr(knobs, name, None)
        if value is None:
            value = os.environ.get(name)
        if value is None:
            return default
        try:
            return type(default)(value) if default is not None else value
        except (TypeError, ValueError):
            return default

    def now(self) -> float:
        return self.clock()

    def iso_now(self) -> str:
        return self.wall_clock().strftime("%Y-%m-%dT%H:%M:%SZ")

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):06d}"

    def after(self, seconds: float, fn) -> None:
        self._timers.append((self.clock() + max(0.0, float(seconds)), next(self._ids), fn))

    def run_due(self) -> None:
        now = self.clock()
        due = sorted(t for t in self._timers if t[0] <= now)
        self._timers = [t for t in self._timers if t[0] > now]
        for _when, _seq, fn in due:
            fn()

    @staticmethod
    def region(request) -> str:
        return request[REGION_KEY]

    @staticmethod
    def access_key(request) -> str:
        return request[AK_KEY]

    def route(self, method: str, path: str, handler, write: bool | None = None, name: str | None = None):
        """Add a handler. ``write`` (default: method is not GET) is recorded for the request log."""
        self.routes.append((method.upper(), path, handler, method.upper() != "GET" if write is None else write, name))

    # -- request handling --------------------------------------------------------------
    def _fail(self, request, err: SimError) -> web.Response:
        return web.json_response(envelope(None, table.STATUS_FAIL, err.message, err.error), status=err.status,
                                 headers=self._echo(request))

    @staticmethod
    def _echo(request) -> dict:
        rid = request.headers.get(table.HEADER_REQUEST_ID)
        return {table.HEADER_REQUEST_ID: rid} if rid else {}

    async def authenticate(self, request) -> bytes:
        """Verify signature and region; return the raw body. Raises SimError."""
        raw = await request.read()
        try:
            ak = eop.verify(request.headers, list(request.query.items()), raw, self.credentials,
                            self.wall_clock(), self.knob(*table.KNOB_MAX_SKEW_S))
        except eop.AuthFailure as exc:
            raise SimError(exc.kind, exc.message) from None
        region = request.headers.get(table.HEADER_REGION)
        if not region:
            raise SimError("region_missing", "header regionId is required")
        request[AK_KEY] = ak
        request[REGION_KEY] = region
        return raw

    def wrap(self, handler, write: bool, name: str | None):
        async def endpoint(request):
            request[WRITE_KEY] = write
            request[ROUTE_KEY] = name or handler.__name__
            try:
                raw = await self.authenticate(request)
                self.run_due()
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    raise SimError("bad_request", "body is not JSON") from None
                result = await handler(self, request, body)
            except SimError as err:
                return self._fail(request, err)
            return web.json_response(envelope(result), headers=self._echo(request))
        endpoint.__name__ = f"ctyun_{name or handler.__name__}"
        return endpoint

    async def not_found(self, request):
        try:
            await self.authenticate(request)
        except SimError as err:
            return self._fail(request, err)
        return self._fail(request, SimError("route_not_found", f"no API {request.method} {request.path}"))

    def build_app(self, middlewares=()) -> web.Application:
        """The application; unknown paths get the gateway's envelope (after authentication) through a
        middleware rather than a catch-all route, so the lab can still add its own routes (``/_lab/``)."""
        sim = self

        @web.middleware
        async def unknown_route(request, handler):
            try:
                return await handler(request)
            except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
                if request.path.startswith("/_lab/"):
                    raise
                return await sim.not_found(request)

        app = web.Application(middlewares=list(middlewares) + [unknown_route])
        for method, path, handler, write, name in self.routes:
            app.router.add_route(method, path, self.wrap(handler, write, name))
        app[SIM_KEY] = self
        return app


SIM_KEY = web.AppKey("ctyun_sim", CtyunSim)


def make_app(lab=None, modules=ROUTE_MODULES) -> web.Application:
    """The simulation as an aiohttp application; ``lab`` supplies knobs, kubeconfigs, middlewares."""
    sim = CtyunSim(lab)
    for mod_name in modules:
        try:
            mod = importlib.import_module(f"{__name__}.{mod_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{mod_name}":
                continue  # route module not written yet
            raise
        mod.register(sim)
    middlewares = lab.middlewares("ctyun") if lab is not None and hasattr(lab, "middlewares") else ()
    return sim.build_app(middlewares)
