# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""REST access for the replica shift, on top of the collection's ``k8s/rest.py``.

Two additions the shift needs: ``list`` returns a list (every page), and merge patches are
replayed on 429/5xx and lost answers. The shared retry policy replays only idempotent
methods; every patch the shift sends sets fixed values, so applying it twice gives the same
object and replaying it after a lost answer is safe.
"""

from __future__ import annotations

import time

from ..common.errors import ApiError, ConflictError, NotFoundError
from ..k8s.rest import Rest as _Rest
from ..k8s.rest import path_for


def object_path(kind, namespace, name=None):
    return path_for(kind, namespace, name)


class Rest(_Rest):
    """``k8s.rest.Rest`` with a list-returning ``list`` and a replayed ``merge_patch``."""

    def list(self, path, label_selector=None, limit=500):
        return list(self.iter_list(path, label_selector, limit))

    def merge_patch(self, path, patch, attempts=5, sleeper=time.sleep):
        delay = 0.2
        for attempt in range(attempts):
            try:
                return _Rest.merge_patch(self, path, patch)
            except (NotFoundError, ConflictError):
                raise
            except ApiError as exc:
                retriable = exc.status is None or exc.status == 429 or exc.status >= 500
                if not retriable or attempt == attempts - 1:
                    raise
                sleeper(delay)
                delay = min(delay * 2, 3.0)
        return None  # pragma: no cover
