"""EOP signature verification, written from the public description independently of the
collection's signer (the simulation must catch a signer that drifts from the documentation)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
from urllib.parse import quote

from . import table

BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def canonical_query(pairs) -> str:
    """Keys sorted, values percent-encoded (only unreserved characters kept), joined by ``&``."""
    encoded = sorted((quote(k, safe=""), quote(v, safe="")) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def expected_signature(sk: str, ak: str, date: str, headers: dict, query: str, body: bytes) -> str:
    lines = "".join(f"{name}:{headers[name]}\n" for name in sorted(headers))
    to_sign = f"{lines}\n{query}\n{hashlib.sha256(body).hexdigest()}"
    k = hmac.new(sk.encode(), date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, ak.encode(), hashlib.sha256).digest()
    k = hmac.new(k, date[:8].encode(), hashlib.sha256).digest()
    return base64.b64encode(hmac.new(k, to_sign.encode(), hashlib.sha256).digest()).decode()


class AuthFailure(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def verify(headers, query_pairs, body: bytes, credentials: dict, now: datetime.datetime, max_skew: float) -> str:
    """Check one request; return the access key, or raise :class:`AuthFailure`."""
    lower = {k.lower(): v for k, v in headers.items()}
    for name in (table.HEADER_REQUEST_ID, table.HEADER_DATE, table.HEADER_AUTHORIZATION):
        if not lower.get(name.lower()):
            raise AuthFailure("missing_header", f"missing header {name}")
    parts = lower[table.HEADER_AUTHORIZATION.lower()].split()
    if len(parts) != 3 or not parts[1].startswith("Headers=") or not parts[2].startswith("Signature="):
        raise AuthFailure("bad_authorization", "Eop-Authorization must be '<AK> Headers=<h1;h2> Signature=<sig>'")
    ak, signed, sig = parts[0], parts[1][len("Headers="):].split(";"), parts[2][len("Signature="):]
    if sorted(h.lower() for h in signed if h) != sorted(table.SIGNED_HEADERS):
        raise AuthFailure("bad_authorization", "Headers= must list " + ";".join(table.SIGNED_HEADERS))
    if ak not in credentials:
        raise AuthFailure("unknown_ak", "unknown access key")
    date = lower[table.HEADER_DATE.lower()]
    try:
        when = datetime.datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=BEIJING)
    except ValueError:
        raise AuthFailure("bad_authorization", "Eop-date must be yyyyMMddTHHmmssZ (Beijing time)") from None
    skew = abs((now - when).total_seconds())
    if skew > max_skew:
        raise AuthFailure("clock_skew", f"Eop-date is {int(skew)}s away from the server time (max {int(max_skew)}s)")
    signed_values = {name: lower[name] for name in table.SIGNED_HEADERS}
    want = expected_signature(credentials[ak], ak, date, signed_values, canonical_query(query_pairs), body)
    if not hmac.compare_digest(want, sig):
        raise AuthFailure("signature", "signature does not match")
    return ak
