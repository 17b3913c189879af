# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Validate Karmada policies against the reduced CRD schemas (``schemas.py``) before any call.

Covers what the API server's structural-schema validation checks for these kinds: types,
required fields, enums, int-or-string, maps, and unknown fields (pruned by the server, so
reported here as errors: a misspelt option must not silently vanish).
"""

from __future__ import annotations

from ..common.errors import ValidationError
from .schemas import SCHEMAS

_TYPES = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float),
}


def _type_ok(value, expected):
    if expected in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES.get(expected, (object,)))


def _check(node, value, path, errors):
    if value is None:
        if not node.get("nullable"):
            errors.append("%s: must not be null" % path)
        return
    if node.get("x-kubernetes-int-or-string"):
        if not (isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))):
            errors.append("%s: must be an integer or a string" % path)
        return
    expected = node.get("type")
    if expected and not _type_ok(value, expected):
        errors.append("%s: must be of type %s, got %s" % (path, expected, type(value).__name__))
        return
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in node and value < node["minimum"]:
            errors.append("%s: %s is less than the minimum of %s" % (path, value, node["minimum"]))
        if "maximum" in node and value > node["maximum"]:
            errors.append("%s: %s is more than the maximum of %s" % (path, value, node["maximum"]))
    if "enum" in node and value not in node["enum"]:
        errors.append("%s: unsupported value %r; supported values: %s" % (
            path, value, ", ".join(repr(v) for v in node["enum"])))
    if isinstance(value, dict):
        props = node.get("properties")
        for name in node.get("required") or []:
            if name not in value:
                errors.append("%s.%s: required value" % (path, name))
        if props is not None:
            for key, item in value.items():
                if key in props:
                    _check(props[key], item, "%s.%s" % (path, key), errors)
                elif not node.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in node:
                    errors.append("%s.%s: unknown field" % (path, key))
        elif isinstance(node.get("additionalProperties"), dict):
            for key, item in value.items():
                _check(node["additionalProperties"], item, "%s.%s" % (path, key), errors)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for index, item in enumerate(value):
            _check(node["items"], item, "%s[%d]" % (path, index), errors)


def errors_for(obj):
    """List of problems of ``obj`` (a Karmada policy), each naming the field path."""
    key = "%s/%s" % (obj.get("apiVersion"), obj.get("kind"))
    schema = SCHEMAS.get(key)
    if schema is None:
        return ["apiVersion/kind %s is not a Karmada policy kind the collection knows (%s)"
                % (key, ", ".join(sorted(SCHEMAS)))]
    errors = []
    body = dict((k, v) for k, v in obj.items() if k != "metadata")
    _check(schema, body, obj.get("kind", "object"), errors)
    if not (obj.get("metadata") or {}).get("name"):
        errors.append("%s.metadata.name: required value" % obj.get("kind", "object"))
    return errors


def validate(obj, what=None):
    problems = errors_for(obj)
    if problems:
        name = what or (obj.get("metadata") or {}).get("name", "object")
        raise ValidationError("%s is not a valid %s: %s" % (name, obj.get("kind"), "; ".join(problems)),
                              validation_errors=problems)
    return obj
