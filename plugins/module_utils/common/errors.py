# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Exceptions shared by every module of the collection.

Modules never format tracebacks for users: module_utils raise one of these,
and the module base (``common.module``) turns it into ``fail_json`` with a
clear ``msg`` plus the structured details.
"""

from __future__ import annotations


class CceMigrationError(Exception):
    """Base error. ``msg`` is shown to the user, ``details`` go into the result."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details

    def __str__(self):
        return self.msg


class ValidationError(CceMigrationError):
    """Bad input, detected before anything was changed."""


class ApiError(CceMigrationError):
    """A remote API answered with an error (HTTP status or envelope status)."""

    def __init__(self, msg, status=None, code=None, request_id=None, **details):
        super().__init__(msg, status=status, code=code, request_id=request_id, **details)
        self.status = status
        self.code = code
        self.request_id = request_id


class NotFoundError(ApiError):
    """The object asked for does not exist."""


class ConflictError(CceMigrationError):
    """The wanted state conflicts with what exists and was not forced."""


class WaitTimeoutError(CceMigrationError):
    """A wait ran out of time. ``msg`` says what was awaited and what was last seen."""


class TransportError(ApiError):
    """No usable HTTP answer: connection refused or reset, timeout, TLS failure.

    ``status`` is ``None``. ``maybe_applied`` is False only when the request certainly never
    reached the server (connection refused, TLS handshake failed), so the retry policy may
    send it again whatever its method.
    """

    def __init__(self, msg, maybe_applied=True, **details):
        details.setdefault("code", "TransportError")
        super().__init__(msg, **details)
        self.maybe_applied = maybe_applied
