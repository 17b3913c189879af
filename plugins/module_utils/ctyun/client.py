# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""CTyun OpenAPI client: signs (``signer``), sends (``transport``), unwraps the envelope.

Stable API used by every CTyun area of the collection (``cce``, ``cceone``, data transfer)::

    client = CtyunClient(module.params)          # access_key, secret_key, region_id, endpoint,
                                                 # validate_certs, ca_path, timeout
    obj = client.call("GET", "/v2/cce/clusters/page", query={"pageNow": 1, "pageSize": 50})
    obj = client.call("PUT", path, body={...})   # returns the envelope's ``returnObj``
    answer, existing = client.create(path, body, lookup=lambda: find_by_name(client, name))

``call(method, path, query=None, body=None, idempotent=None, headers=None)``

* ``query``: dict (``None`` values dropped), signed and sent as the canonical query string;
* ``body``: a JSON-serialisable object (sent compact, UTF-8) or ``None``;
* ``idempotent``: whether the call may be replayed on any failure; default: True for
  GET/HEAD/OPTIONS/PUT/DELETE, False for POST. Pass ``True`` for a POST that is a read (the
  ECS flavour list); pass ``False`` for a relative PUT (a node pool scale-up), which then is
  retried only when it never left. Never pass ``True`` for a create: use :meth:`create`, which
  looks the object up by name before trying again;
* returns ``returnObj`` (``None`` when absent); raises :class:`ApiError` (or
  :class:`NotFoundError`) with ``status`` (HTTP), ``code`` (the envelope's ``error``),
  ``msg`` (with the envelope's ``message``) and ``request_id``; raises
  :class:`~.transport.TransportError` (an ``ApiError``) when no answer came back.

The envelope is checked even on HTTP 200: ``statusCode`` 800 is success, anything else
(``900``) a failure; older endpoints use ``code`` instead. Secrets never appear in logs,
exceptions or results: only method, path, HTTP status, error code and request id do.
"""

from __future__ import annotations

import json
import time

from ..common.arg_spec import DEFAULT_CTYUN_ENDPOINT, require_ctyun_credentials
from ..common.errors import ApiError, NotFoundError
from ..common.retry import DEFAULT_POLICY, IDEMPOTENT_METHODS, create_with_lookup
from . import signer
from .transport import Transport, TransportError

SUCCESS = ("800", 800)
# The provider sends a fixed browser User-Agent (a missing one may trip the gateway's risk control);
# the collection names itself instead.
USER_AGENT = "ctyun.cce_migration/%s (Ansible collection; python-requests)"
COLLECTION_VERSION = "1.0.0"
NOT_FOUND_MARKERS = ("NOTFOUND", "NOT_FOUND", "NOTEXIST", "NOT_EXIST")


def _is_success(envelope):
    if "statusCode" in envelope:
        return envelope["statusCode"] in SUCCESS
    if "code" in envelope:
        return envelope["code"] in SUCCESS
    return False


def _is_not_found(status, code):
    if status == 404:
        return True
    flat = (code or "").upper().replace(".", "_")
    return any(marker in flat for marker in NOT_FOUND_MARKERS)


class CtyunClient(object):
    """Signed calls to the CTyun OpenAPI for one region. See the module docstring."""

    def __init__(self, params, log=None, transport=None, policy=None, sleeper=time.sleep):
        require_ctyun_credentials(params)
        self._ak = params["access_key"]
        self._sk = params["secret_key"]
        self.region_id = params["region_id"]
        self.endpoint = (params.get("endpoint") or DEFAULT_CTYUN_ENDPOINT).rstrip("/")
        self._log = log or (lambda msg: None)
        self._sleep = sleeper
        self.last_request_id = None
        validate = params.get("validate_certs")
        self._params = dict(params)
        self.policy = policy or DEFAULT_POLICY
        self.transport = transport or Transport(
            self.endpoint, validate_certs=True if validate is None else validate,
            ca_path=params.get("ca_path"), timeout=params.get("timeout") or 30, policy=self.policy)

    def for_endpoint(self, endpoint):
        """A client with the same credentials and region for another CTyun endpoint (``self`` when the same)."""
        if endpoint.rstrip("/") == self.endpoint:
            return self
        return CtyunClient(dict(self._params, endpoint=endpoint), log=self._log, policy=self.policy,
                           sleeper=self._sleep)

    def __repr__(self):
        return "CtyunClient(endpoint=%r, region_id=%r)" % (self.endpoint, self.region_id)

    # -- one call -----------------------------------------------------------
    def call(self, method, path, query=None, body=None, idempotent=None, headers=None):
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        query_string = signer.canonical_query(query)
        raw = b"" if body is None else json.dumps(body, separators=(",", ":"), sort_keys=True).encode("utf-8")
        send_headers = {"Accept": "application/json", "regionId": self.region_id,
                        "User-Agent": USER_AGENT % COLLECTION_VERSION}
        if raw:
            # the provider sends Content-Type only with a JSON body
            send_headers["Content-Type"] = "application/json"
        if headers:
            send_headers.update(headers)
        send_headers.update(signer.sign_headers(self._ak, self._sk, query_string, raw))
        request_id = send_headers[signer.HEADER_REQUEST_ID]
        self.last_request_id = request_id
        try:
            resp = self.transport.send(method, path, query_string, send_headers, raw or None, safe=idempotent)
        except TransportError as exc:
            exc.request_id = request_id
            exc.details["request_id"] = request_id
            self._log("ctyun %s %s: no answer (request id %s)" % (method, path, request_id))
            raise
        request_id = resp.headers.get(signer.HEADER_REQUEST_ID) or request_id
        self.last_request_id = request_id
        return self._unwrap(method, path, resp, request_id)

    def _unwrap(self, method, path, resp, request_id):
        try:
            envelope = json.loads(resp.content.decode("utf-8")) if resp.content else {}
        except ValueError:
            envelope = None
        self._log("ctyun %s %s -> HTTP %s (request id %s)" % (method, path, resp.status, request_id))
        if not isinstance(envelope, dict):
            text = resp.content[:200].decode("utf-8", "replace") if resp.content else ""
            raise ApiError("CTyun %s %s answered HTTP %s without a JSON envelope: %s"
                           % (method, path, resp.status, text), status=resp.status, request_id=request_id,
                           retry_after=resp.headers.get("Retry-After"))
        if 200 <= resp.status < 300 and _is_success(envelope):
            return envelope.get("returnObj")
        code = envelope.get("error") or envelope.get("errorCode") or (
            None if envelope.get("statusCode", envelope.get("code")) in SUCCESS
            else str(envelope.get("statusCode", envelope.get("code", ""))) or None)
        message = envelope.get("message") or envelope.get("msg") or envelope.get("description") or ""
        cls = NotFoundError if _is_not_found(resp.status, code) else ApiError
        hint = ""
        if resp.status in (401, 403) or "AUTH" in (code or "").upper() or "SIGN" in (code or "").upper():
            hint = (". The request was refused as unauthenticated: check access_key and secret_key "
                    "(CTYUN_ACCESS_KEY, CTYUN_SECRET_KEY) and that the system clock is right")
        raise cls("CTyun %s %s failed: %s%s (HTTP %s, request id %s)%s"
                  % (method, path, "[%s] " % code if code else "", message or "no message", resp.status, request_id,
                     hint),
                  status=resp.status, code=code, request_id=request_id, api_message=message,
                  retry_after=resp.headers.get("Retry-After"))

    # -- creates -----------------------------------------------------------
    def create(self, path, body, lookup, query=None, settle=0.0, settle_sleep=5.0):
        """POST a create (or an order) that must happen at most once.

        The collection's ``common.retry.create_with_lookup``: returns ``(answer, None)`` when the
        create answered, or ``(None, existing)`` when an attempt got no usable answer (connection
        lost, 429, 5xx) and ``lookup()`` found that it took effect after all; the POST is sent again
        only while the object is absent, with the policy's attempts, backoff and ``Retry-After``.
        ``settle`` seconds: how long ``lookup()`` keeps being asked after a lost answer before the
        object counts as absent (an order can take a moment to show up in the list).
        """
        def send():
            return self.call("POST", path, query=query, body=body, idempotent=False)

        def settled_lookup():
            until = time.monotonic() + settle
            found = lookup()
            while found is None and time.monotonic() < until:
                self._sleep(min(settle_sleep, max(0.0, until - time.monotonic())))
                found = lookup()
            return found
        policy = self.policy.replace(max_total=self.policy.max_total + settle)
        return create_with_lookup(send, settled_lookup, policy=policy, sleeper=self._sleep, log=self._log,
                                  what="ctyun POST %s" % path)

    def close(self):
        self.transport.close()
