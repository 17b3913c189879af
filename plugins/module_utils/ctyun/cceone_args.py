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


def write_private(path, text, check_mode):
    """Write ``text`` to ``path`` with mode 0600 when it differs; returns whether it changed."""
    path = os.path.expanduser(path)
    current = None
    if os.path.exists(path):
        with open(path) as fh:
            current = fh.read()
    if current == text and (os.stat(path).st_mode & 0o777) == 0o600:
        return False
    if check_mode:
        return True
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=0o700)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return True
