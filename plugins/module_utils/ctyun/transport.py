# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The one HTTP layer of the CTyun client: ``requests`` with the collection's urllib3 retry policy.

* Retries (``common/retry.py``): exponential backoff with jitter on 429/5xx and connection
  errors, ``Retry-After`` honoured (capped), and the policy's time budget (``max_total``).
* Calls marked safe to repeat (reads, absolute updates) are retried on every failure.
  Calls that are not (a create) are only retried when the request provably never left
  (connection refused); everything else is handed back to the caller, which must check
  whether the first attempt took effect before trying again (see ``client.create``).
* TLS verification is on by default; ``ca_path`` names a CA bundle.

Nothing here logs or raises headers, so the signature never leaves this module.
"""

from __future__ import annotations

from ..common.errors import ApiError, TransportError  # noqa: F401  (TransportError: re-exported)
from ..common.retry import DEFAULT_POLICY, IDEMPOTENT_METHODS, exception_reason as _reason

try:
    import requests
    from requests.adapters import HTTPAdapter
    HAS_REQUESTS = True
except ImportError:  # pragma: no cover - checked by the modules
    HAS_REQUESTS = False
    HTTPAdapter = object

SAFE_METHODS = frozenset(IDEMPOTENT_METHODS) | frozenset(["POST"])


class Response(object):
    """An HTTP answer: status, headers, raw body bytes."""

    def __init__(self, status, headers, content):
        self.status = status
        self.headers = headers
        self.content = content


def _adapter(policy, methods=None, connect_only=False, pool_maxsize=4):
    return HTTPAdapter(max_retries=policy.urllib3_retry(methods=methods, connect_only=connect_only),
                       pool_maxsize=pool_maxsize)


class Transport(object):
    """Send prepared (signed) requests to one endpoint.

    Two sessions share the same policy and differ only in what may be replayed:
    ``safe`` replays on any failure, ``unsafe`` only when nothing was sent.
    """

    def __init__(self, endpoint, validate_certs=True, ca_path=None, timeout=30, policy=DEFAULT_POLICY):
        if not HAS_REQUESTS:
            raise ApiError("The python 'requests' library is required for the CTyun OpenAPI")
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.verify = (ca_path or True) if validate_certs else False
        self._sessions = {}
        # "unsafe" (an order, a create, a relative scale): only connection errors before the request
        # was sent are retried (the policy's connect_only); the caller decides the rest.
        for name, kwargs in (("safe", dict(methods=SAFE_METHODS)), ("unsafe", dict(connect_only=True))):
            session = requests.Session()
            session.trust_env = False
            adapter = _adapter(policy, **kwargs)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            self._sessions[name] = session

    def url(self, path, query_string=""):
        return "%s%s%s" % (self.endpoint, path, ("?" + query_string) if query_string else "")

    def send(self, method, path, query_string, headers, body, safe):
        """Send one request (with retries per ``safe``); returns a :class:`Response`.

        Raises :class:`TransportError` when no answer came back.
        """
        session = self._sessions["safe" if safe else "unsafe"]
        url = self.url(path, query_string)
        try:
            resp = session.request(method, url, headers=headers, data=body, timeout=self.timeout,
                                   verify=self.verify, allow_redirects=False)
        except requests.exceptions.SSLError as exc:
            raise TransportError("TLS verification of %s failed (%s). Set ca_path (CTYUN_CA_BUNDLE) to the CA "
                                 "bundle of the endpoint." % (self.endpoint, _reason(exc)), maybe_applied=False)
        except requests.exceptions.ConnectTimeout as exc:
            raise TransportError("Timed out connecting to %s: %s" % (self.endpoint, _reason(exc)), maybe_applied=False)
        except requests.exceptions.RetryError as exc:
            raise TransportError("%s %s still failing after retries: %s" % (method, path, _reason(exc)))
        except requests.exceptions.ConnectionError as exc:
            refused = "NewConnectionError" in repr(exc) or "ConnectionRefused" in repr(exc)
            raise TransportError("%s %s: connection to %s failed: %s" % (method, path, self.endpoint, _reason(exc)),
                                 maybe_applied=not refused)
        except requests.exceptions.Timeout as exc:
            raise TransportError("%s %s: no answer from %s within %ss: %s"
                                 % (method, path, self.endpoint, self.timeout, _reason(exc)))
        except requests.exceptions.RequestException as exc:
            raise TransportError("%s %s failed: %s" % (method, path, _reason(exc)))
        return Response(resp.status_code, resp.headers, resp.content)

    def close(self):
        for session in self._sessions.values():
            session.close()
