"""EOP signing: the documented vector, computed here step by step without the signer."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import urllib.parse

import pytest

from ansible_collections.ctyun.cce_migration.plugins.module_utils.ctyun import signer

AK = "AKTESTEXAMPLE0001"
SK = "SKtestexample/secret+0001"
DATE = "20261125T093029Z"
REQUEST_ID = "123e4567-e89b-12d3-a456-426614174000"
QUERY = {"pageSize": "10", "pageNow": "1", "clusterName": "cce-prod 01"}
BODY = b'{"clusterName":"cce-prod-01"}'
EXPECTED = "bRXCRzfoKNVZb5yFN6/2M5ccEhHiAzgTuZutWRxQr3o="


def by_hand(ak, sk, date, request_id, query, body):
    """The documented steps, written out independently of the signer."""
    header_lines = "ctyun-eop-request-id:" + request_id + "\n" + "eop-date:" + date + "\n"
    query_string = "&".join(k + "=" + urllib.parse.quote(query[k], safe="") for k in sorted(query))
    to_sign = header_lines + "\n" + query_string + "\n" + hashlib.sha256(body).hexdigest()
    ktime = hmac.new(sk.encode(), date.encode(), hashlib.sha256).digest()
    kak = hmac.new(ktime, ak.encode(), hashlib.sha256).digest()
    kdate = hmac.new(kak, date[:8].encode(), hashlib.sha256).digest()
    return base64.b64encode(hmac.new(kdate, to_sign.encode(), hashlib.sha256).digest()).decode()


def test_hand_computation_matches_the_published_vector():
    assert by_hand(AK, SK, DATE, REQUEST_ID, QUERY, BODY) == EXPECTED


def test_signer_matches_the_vector():
    query_string = signer.canonical_query({"pageSize": 10, "pageNow": 1, "clusterName": "cce-prod 01"})
    assert query_string == "clusterName=cce-prod%2001&pageNow=1&pageSize=10"
    headers = signer.sign_headers(AK, SK, query_string, BODY, date=DATE, request_id=REQUEST_ID)
    assert headers == {
        "ctyun-eop-request-id": REQUEST_ID,
        "Eop-date": DATE,
        "Eop-Authorization": AK + " Headers=ctyun-eop-request-id;eop-date Signature=" + EXPECTED,
    }


@pytest.mark.parametrize(
    "query, body",
    [
        ({}, b""),
        ({"a": "x/y+z", "b": "中文"}, b""),
        ({"clusterName": "a&b=c", "pageNow": "2"}, b'{"x": [1, 2]}'),
    ],
)
def test_signer_agrees_with_hand_computation(query, body):
    headers = signer.sign_headers(AK, SK, signer.canonical_query(query), body, date=DATE, request_id=REQUEST_ID)
    assert headers["Eop-Authorization"].endswith("Signature=" + by_hand(AK, SK, DATE, REQUEST_ID, query, body))


def test_empty_body_hashes_empty_string():
    assert signer.body_digest(None) == hashlib.sha256(b"").hexdigest()
    assert signer.body_digest(b"") == signer.body_digest("")


def test_canonical_query_drops_none_and_sorts():
    assert signer.canonical_query({"b": 1, "a": None, "c": True}) == "b=1&c=true"
    assert signer.canonical_query(None) == ""


def test_eop_date_is_beijing_time_with_z():
    now = datetime.datetime(2026, 11, 25, 1, 30, 29, tzinfo=datetime.timezone.utc)
    assert signer.eop_date(now) == DATE
    assert signer.parse_eop_date(DATE) == now


def test_any_byte_change_changes_the_signature():
    base = signer.signature(SK, AK, DATE, REQUEST_ID, "a=1", BODY)
    assert signer.signature(SK, AK, DATE, REQUEST_ID, "a=2", BODY) != base
    assert signer.signature(SK, AK, DATE, REQUEST_ID, "a=1", BODY + b" ") != base
    assert signer.signature(SK + "x", AK, DATE, REQUEST_ID, "a=1", BODY) != base


def test_parse_authorization():
    ak, headers, sig = signer.parse_authorization(signer.authorization(AK, EXPECTED))
    assert (ak, headers, sig) == (AK, ["ctyun-eop-request-id", "eop-date"], EXPECTED)
    with pytest.raises(ValueError):
        signer.parse_authorization("garbage")
