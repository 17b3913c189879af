# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The one retry policy of the collection.

Every HTTP client of the collection (CTyun OpenAPI, Kubernetes API, registries)
uses :func:`build_retry`: exponential backoff with jitter on 429 and 5xx
answers and on connection errors, ``Retry-After`` honoured (capped), and a
bounded number of attempts so the total time stays bounded.

Only idempotent methods are retried automatically. A non-idempotent call (a
create) is never replayed blindly: callers check by name whether the first
attempt already took effect (see ``ctyun`` and ``k8s`` module_utils).
"""

from __future__ import annotations

try:
    from urllib3.util.retry import Retry
    HAS_URLLIB3 = True
except ImportError:  # pragma: no cover - urllib3 comes with requests
    Retry = object
    HAS_URLLIB3 = False

RETRY_STATUS = frozenset([429, 500, 502, 503, 504])
IDEMPOTENT_METHODS = frozenset(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
# Retry-After values above this are capped, so one answer cannot stall a run.
MAX_RETRY_AFTER = 30.0


class CappedRetry(Retry):
    """urllib3 Retry that caps ``Retry-After`` and keeps jitter on backoff."""

    def get_retry_after(self, response):
        value = super().get_retry_after(response)
        if value is None:
            return None
        return min(value, MAX_RETRY_AFTER)


def build_retry(total=6, backoff_factor=0.3, backoff_max=8.0, methods=IDEMPOTENT_METHODS,
                status_forcelist=RETRY_STATUS, jitter=0.3):
    """Return a urllib3 ``Retry`` for ``requests`` adapters and the kubernetes client.

    ``methods`` limits automatic retries to idempotent verbs; pass a wider set only
    for calls that are safe to replay.
    """
    kwargs = dict(
        total=total,
        connect=total,
        read=total,
        status=total,
        backoff_factor=backoff_factor,
        status_forcelist=sorted(status_forcelist),
        allowed_methods=sorted(methods),
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )
    # urllib3 >= 2 supports jitter and a backoff ceiling as constructor arguments
    # (and carries them over in Retry.new()); older versions use a class default.
    if getattr(Retry, "DEFAULT_BACKOFF_MAX", None) is not None and hasattr(Retry(), "backoff_jitter"):
        kwargs["backoff_jitter"] = jitter
        kwargs["backoff_max"] = backoff_max
    return CappedRetry(**kwargs)
