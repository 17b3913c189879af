# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The ``image_sync`` module's work, apart from Ansible: validate, contact, plan, copy."""

from __future__ import annotations

import threading

try:
    import requests
except ImportError:  # pragma: no cover
    requests = None

from ..common.errors import ValidationError
from . import reference
from ..common.retry import build_retry
from .client import RETRY_METHODS, RegistryClient
from .sync import Syncer


class ClientPool(object):
    """One :class:`RegistryClient` per (side, base URL); validates the registry options up front."""

    def __init__(self, source_opts, target_opts, timeout=60, pool_size=8, retry=None):
        self.opts = dict(source=source_opts or {}, target=target_opts or {})
        self.timeout = timeout
        self.pool_size = pool_size
        self.retry = retry
        self._clients = {}
        self._lock = threading.Lock()
        self.urls = {}
        for side in ("source", "target"):
            opts = self.opts[side]
            self.urls[side] = reference.normalise_url(opts.get("url"), "%s_registry.url" % side)
            if opts.get("password") and not opts.get("username"):
                raise ValidationError("%s_registry: password given without username" % side,
                                      field="%s_registry.username" % side)
            if opts.get("username") and opts.get("password") is None:
                raise ValidationError("%s_registry: username %r given without password" % (side, opts["username"]),
                                      field="%s_registry.password" % side)

    def host(self, side):
        return reference.host_of_url(self.urls[side])

    def configured(self, side, host):
        """Whether ``host`` is the registry of ``<side>_registry.url`` (or no url was given)."""
        return not self.urls[side] or host is None or host == self.host(side)

    def base_url(self, side, host):
        if self.urls[side] and self.configured(side, host):
            return self.urls[side]
        return reference.url_for_host(host)

    def __call__(self, side, host):
        base = self.base_url(side, host)
        mine = self.configured(side, host)
        key = (side, base)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                opts = self.opts[side]
                # Credentials and the CA go only to the registry they were given for: a reference naming
                # another host (docker.io in an assessment list, say) is read anonymously from that host.
                client = RegistryClient(base, username=opts.get("username") if mine else None,
                                        password=opts.get("password") if mine else None,
                                        validate_certs=opts.get("validate_certs", True),
                                        ca_path=opts.get("ca_path") if mine else None,
                                        timeout=self.timeout, pool_size=self.pool_size, retry=self.retry,
                                        label="%s registry" % side)
                self._clients[key] = client
            return client

    def all(self):
        with self._lock:
            return sorted(self._clients.items())

    def close(self):
        for _key, client in self.all():
            client.close()


def check_access(client, side, base):
    """``GET /v2/`` with a message naming the option to fix for TLS and connection failures."""
    try:
        return client.check_access()
    except requests.exceptions.SSLError as exc:
        raise ValidationError(
            "%s registry %s: TLS certificate verification failed (%s); set %s_registry.ca_path to the CA that "
            "signed the registry's certificate" % (side, base, _reason(exc), side), field="%s_registry" % side)
    except requests.exceptions.RequestException as exc:
        raise ValidationError("%s registry %s cannot be reached (%s); check %s_registry.url" % (
            side, base, _reason(exc), side), field="%s_registry.url" % side)


def _reason(exc):
    text = str(exc)
    for marker in ("CERTIFICATE_VERIFY_FAILED", "Connection refused", "Name or service not known", "timed out"):
        if marker in text:
            start = text.find(marker)
            return text[start:start + 120].split(")", maxsplit=1)[0]
    return text[:200]


def run_image_sync(params, check_mode=False, retry=None):
    """Returns the module result (``results``, ``bytes``, ``registry_map``...).

    Raises :class:`ValidationError` / :class:`~.client.AuthError` before any write for bad input,
    unreachable registries or rejected credentials.
    """
    concurrency = int(params.get("concurrency") or 4)
    if retry is None:
        retries = params.get("retries")
        retry = build_retry(total=6 if retries is None else max(0, int(retries)), methods=RETRY_METHODS)
    pool = ClientPool(params.get("source_registry"), params.get("target_registry"),
                      timeout=int(params.get("timeout") or 60), pool_size=concurrency * 2, retry=retry)
    try:
        pairs = reference.resolve_images(params.get("images"), pool.host("source"), pool.host("target"),
                                         params.get("repository_map"))
        # Contact every registry once before any write: the API answers and the credentials work.
        for pair in pairs:
            pool("source", pair.source.host)
            pool("target", pair.target.host)
        for (side, base), client in pool.all():
            how = check_access(client, side, base)
            if side == "target" and how == "bearer-anonymous":
                # Anonymous tokens may pull; nobody hands out anonymous push rights. Fail before writing.
                raise ValidationError(
                    "target registry %s requires authentication (token service %s): set username and password "
                    "of the target registry" % (base, client.token_realm),
                    field="target_registry.username")
        syncer = Syncer(pool, concurrency=concurrency,
                        chunk_size=params.get("chunk_size") or 8 * 1024 * 1024,
                        chunk_threshold=params.get("chunk_threshold") if params.get("chunk_threshold") is not None
                        else 32 * 1024 * 1024,
                        verify_blobs=params.get("verify_blobs", True))
        plans = syncer.plan(pairs)
        if check_mode:
            results = [syncer.preview(p) for p in plans]
        else:
            results = syncer.execute(plans)
        rmap = reference.registry_map(pairs)
        return dict(
            results=results,
            bytes=sum(r.get("bytes") or 0 for r in results),
            registry_map=rmap,
            registry_map_dict=dict((e["from"], e["to"]) for e in rmap),
            requests=sum(c.requests for _k, c in pool.all()),
        )
    finally:
        pool.close()
