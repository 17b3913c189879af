# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""EOP request signing (CTyun OpenAPI, AK/SK). Pure functions, no I/O.

Every request carries three headers:

* ``ctyun-eop-request-id``: a fresh UUID;
* ``Eop-date``: ``yyyyMMddTHHmmssZ`` written in Beijing time (UTC+8), although it ends in ``Z``;
* ``Eop-Authorization``: ``<AK> Headers=ctyun-eop-request-id;eop-date Signature=<sig>``.

``<sig>`` is computed as follows:

1. string to sign = ``name:value\\n`` for each signed header in name order (lower-case
   names), then ``\\n``, then the canonical query (keys sorted, values percent-encoded
   with every reserved character escaped, ``k=v`` joined by ``&``), then ``\\n``, then
   ``hex(sha256(raw body))``;
2. ``ktime = HMAC-SHA256(SK, Eop-date)``, ``kak = HMAC-SHA256(ktime, AK)``,
   ``kdate = HMAC-SHA256(kak, yyyyMMdd)``;
3. ``sig = base64(HMAC-SHA256(kdate, string to sign))``.

The same canonical query string is sent on the wire, so what is signed is what is sent.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import uuid

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    from urllib import quote

SIGNED_HEADERS = ("ctyun-eop-request-id", "eop-date")
HEADER_REQUEST_ID = "ctyun-eop-request-id"
HEADER_DATE = "Eop-date"
HEADER_AUTHORIZATION = "Eop-Authorization"
BEIJING = datetime.timezone(datetime.timedelta(hours=8))
DATE_FORMAT = "%Y%m%dT%H%M%SZ"


def eop_date(now=None):
    """``Eop-date`` for ``now`` (an aware datetime, default: the current time), in Beijing time."""
    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=datetime.timezone.utc)
    return now.astimezone(BEIJING).strftime(DATE_FORMAT)


def parse_eop_date(value):
    """The aware UTC datetime of an ``Eop-date`` value (raises ValueError when malformed)."""
    naive = datetime.datetime.strptime(value, DATE_FORMAT)
    return naive.replace(tzinfo=BEIJING).astimezone(datetime.timezone.utc)


def new_request_id():
    return str(uuid.uuid4())


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return "%s" % (value,)


def canonical_query(query):
    """Canonical query string: keys sorted, values percent-encoded, ``k=v`` joined by ``&``.

    ``query`` is a dict or a list of pairs; ``None`` values are left out. Keys and values
    are encoded with only the unreserved characters (``A-Z a-z 0-9 - _ . ~``) left as is,
    so a space is ``%20`` and ``/`` is ``%2F``.
    """
    if not query:
        return ""
    items = query.items() if isinstance(query, dict) else query
    pairs = []
    for key, value in items:
        if value is None:
            continue
        pairs.append((quote(_text(key), safe=""), quote(_text(value), safe="")))
    pairs.sort()
    return "&".join("%s=%s" % pair for pair in pairs)


def body_digest(body):
    """hex(sha256(raw body)); ``None`` and empty bodies hash the empty string."""
    if body is None:
        body = b""
    elif not isinstance(body, bytes):
        body = body.encode("utf-8")
    return hashlib.sha256(body).hexdigest()


def string_to_sign(signed_headers, query_string, body):
    """``signed_headers`` maps lower-case header names to values; ``query_string`` is canonical."""
    lines = "".join("%s:%s\n" % (name, signed_headers[name]) for name in sorted(signed_headers))
    return "%s\n%s\n%s" % (lines, query_string, body_digest(body))


def _hmac(key, msg):
    if not isinstance(key, bytes):
        key = key.encode("utf-8")
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key, access_key, date):
    """kdate from SK, AK and the full ``Eop-date`` value."""
    ktime = _hmac(secret_key, date)
    kak = _hmac(ktime, access_key)
    return _hmac(kak, date[:8])


def signature(secret_key, access_key, date, request_id, query_string, body):
    headers = {HEADER_REQUEST_ID: request_id, HEADER_DATE.lower(): date}
    to_sign = string_to_sign(headers, query_string, body)
    key = signing_key(secret_key, access_key, date)
    return base64.b64encode(hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).digest()).decode("ascii")


def authorization(access_key, sig):
    return "%s Headers=%s Signature=%s" % (access_key, ";".join(SIGNED_HEADERS), sig)


def sign_headers(access_key, secret_key, query_string, body, date=None, request_id=None):
    """The three EOP headers for one request. ``query_string`` must be :func:`canonical_query`."""
    date = date or eop_date()
    request_id = request_id or new_request_id()
    sig = signature(secret_key, access_key, date, request_id, query_string, body)
    return {
        HEADER_REQUEST_ID: request_id,
        HEADER_DATE: date,
        HEADER_AUTHORIZATION: authorization(access_key, sig),
    }


def parse_authorization(value):
    """Split ``<AK> Headers=a;b Signature=<sig>`` into ``(ak, [headers], sig)``; ValueError if malformed."""
    parts = (value or "").split()
    if len(parts) != 3 or not parts[1].startswith("Headers=") or not parts[2].startswith("Signature="):
        raise ValueError("malformed Eop-Authorization")
    headers = [h for h in parts[1][len("Headers="):].split(";") if h]
    return parts[0], headers, parts[2][len("Signature="):]
