# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Module base shared by every module of the collection.

A module builds a :class:`CceMigrationModule`, then calls :meth:`run` with a
function doing the work. The base:

* turns :class:`~.errors.CceMigrationError` into ``fail_json`` with a clear
  ``msg`` and the error's details (never a traceback for expected errors);
* keeps results consistent: ``changed``, ``diff`` (only with ``--diff``),
  per-object ``results`` with a ``counts`` summary when a module handles many
  objects;
* stays truthful on failure: what a module recorded with :meth:`done` (or put
  in ``self.result``) before an error is returned with the failure, and a
  module that wrote anything reports ``changed: true`` even when it failed
  afterwards (an error's ``partial_result`` cannot turn that back to false).
"""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import AnsibleModule

from .errors import CceMigrationError
from .files import write_file
from . import validate

# Per-object outcomes used in ``results[*].outcome`` across modules.
OUTCOMES = ("created", "updated", "promoted", "unchanged", "deleted", "conflict", "skipped", "failed")


class CceMigrationModule(object):
    def __init__(self, argument_spec, supports_check_mode=True, **kwargs):
        self.module = AnsibleModule(argument_spec=argument_spec,
                                    supports_check_mode=supports_check_mode, **kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.diff_mode = self.module._diff
        self.result = dict(changed=False)
        self._diffs = []

    # -- result helpers -------------------------------------------------
    def changed(self, value=True):
        if value:
            self.result["changed"] = True

    def done(self, **fields):
        """Record a write that happened: ``changed`` becomes true and ``fields`` join the result.

        Call it right after each write, before the next call that can fail, so that a
        failure later in the run still returns what was written.
        """
        self.result["changed"] = True
        self.result.update(fields)

    def write_file(self, path, text, mode=0o600):
        """Write a file atomically (``common.files.write_file``) honouring check mode; returns
        whether it changed (or would)."""
        return write_file(self.module, path, text, mode=mode, check_mode=self.check_mode)

    def add_diff(self, before, after, header=None):
        """Record a before/after pair; only returned when ``--diff`` is on."""
        entry = dict(before=before, after=after)
        if header:
            entry["before_header"] = header
            entry["after_header"] = header
        self._diffs.append(entry)

    def warn(self, msg):
        self.module.warn(msg)

    def log(self, msg):
        self.module.debug(msg)

    @staticmethod
    def count_outcomes(results):
        counts = dict((o, 0) for o in OUTCOMES)
        for item in results:
            outcome = item.get("outcome")
            counts[outcome] = counts.get(outcome, 0) + 1
        counts["total"] = len(results)
        return counts

    def _finalise(self, extra):
        result = dict(self.result)
        if extra:
            result.update(extra)
        if "results" in result and "counts" not in result:
            result["counts"] = self.count_outcomes(result["results"])
        if self.diff_mode and self._diffs:
            result["diff"] = self._diffs if len(self._diffs) > 1 else self._diffs[0]
        return result

    # -- entry point ------------------------------------------------------
    def run(self, func):
        """Run ``func(self)``; it returns a dict merged into the result."""
        try:
            # the shared options are checked before the module's own code makes any call
            validate.common(self.params)
            extra = func(self) or {}
        except CceMigrationError as exc:
            wrote = self.result["changed"]
            result = self._finalise(getattr(exc, "partial_result", None))
            result.update(exc.details)
            result["changed"] = bool(wrote or result.get("changed"))
            self.module.fail_json(msg=exc.msg, **result)
        except Exception as exc:  # pylint: disable=broad-except
            self.module.fail_json(msg="Unexpected error: %s: %s" % (type(exc).__name__, exc),
                                  exception=traceback.format_exc(), **self._finalise(None))
        result = self._finalise(extra)
        failed = result.pop("failed_msg", None)
        if failed:
            self.module.fail_json(msg=failed, **result)
        self.module.exit_json(**result)
