# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Argument spec pieces and helpers shared by the CCE One modules."""

from __future__ import annotations

import os

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - exercised by sanity only
    HAS_YAML = False

from ..common.arg_spec import ctyun_auth_argument_spec, merge_specs, require_ctyun_credentials, wait_argument_spec
from ..common.errors import ValidationError
from ..common.files import write_file
from .cceone import CceOne
from .client import CtyunClient


def cceone_argument_spec(extra):
    return merge_specs(ctyun_auth_argument_spec(), wait_argument_spec(),
                       dict(cceone_api_overrides=dict(type="dict", default={})), extra)


def cceone_client(params):
    require_ctyun_credentials(params)
    return CceOne(CtyunClient(params), params.get("cceone_api_overrides"))


def minified_kubeconfig(path_or_dict, context=None):
    """The kubeconfig reduced to one context (the one given, or the current one), as YAML text."""
    if not HAS_YAML:
        raise ValidationError("The 'PyYAML' Python library is required to read kubeconfig files: pip install PyYAML")
    if isinstance(path_or_dict, dict):
        cfg = path_or_dict
    else:
        path = os.path.expanduser(path_or_dict or "")
        if not path or not os.path.exists(path):
            raise ValidationError("kubeconfig: file %s does not exist" % path_or_dict)
        with open(path) as fh:
            cfg = yaml.safe_load(fh)
    name = context or cfg.get("current-context")
    ctx = next((c for c in cfg.get("contexts") or [] if c.get("name") == name), None)
    if ctx is None:
        raise ValidationError("context: %r is not in the kubeconfig (contexts: %s)" % (
            name, ", ".join(c.get("name", "?") for c in cfg.get("contexts") or [])))
    cluster = next((c for c in cfg.get("clusters") or [] if c.get("name") == ctx["context"].get("cluster")), None)
    user = next((u for u in cfg.get("users") or [] if u.get("name") == ctx["context"].get("user")), None)
    if cluster is None or user is None:
        raise ValidationError("context %r names a cluster or user missing from the kubeconfig" % name)
    out = {"apiVersion": "v1", "kind": "Config", "clusters": [cluster], "users": [user], "contexts": [ctx],
           "current-context": name}
    return yaml.safe_dump(out, sort_keys=False)


def write_private(module, path, text, check_mode):
    """Write ``text`` to ``path`` with mode 0600 when it differs; returns whether it changed."""
    return write_file(module, path, text, mode=0o600, check_mode=check_mode)
