# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Argument specs shared by the modules. They match the doc fragments
``ctyun.cce_migration.ctyun_auth``, ``ctyun.cce_migration.k8s_auth`` and
``ctyun.cce_migration.wait`` option for option."""

from __future__ import annotations

import copy

from ansible.module_utils.basic import env_fallback

from .errors import ValidationError

DEFAULT_CTYUN_ENDPOINT = "https://ccse-global.ctapi.ctyun.cn"

CTYUN_AUTH_SPEC = dict(
    access_key=dict(type="str", aliases=["ak"], no_log=True, fallback=(env_fallback, ["CTYUN_ACCESS_KEY"])),
    secret_key=dict(type="str", aliases=["sk"], no_log=True, fallback=(env_fallback, ["CTYUN_SECRET_KEY"])),
    region_id=dict(type="str", fallback=(env_fallback, ["CTYUN_REGION_ID"])),
    endpoint=dict(type="str", fallback=(env_fallback, ["CTYUN_ENDPOINT"])),
    validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["CTYUN_VALIDATE_CERTS"])),
    ca_path=dict(type="path", fallback=(env_fallback, ["CTYUN_CA_BUNDLE"])),
    timeout=dict(type="int", default=30, fallback=(env_fallback, ["CTYUN_TIMEOUT"])),
)

K8S_AUTH_SPEC = dict(
    kubeconfig=dict(type="raw", fallback=(env_fallback, ["K8S_AUTH_KUBECONFIG", "KUBECONFIG"])),
    context=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_CONTEXT"])),
    host=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_HOST"])),
    api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["K8S_AUTH_API_KEY"])),
    validate_certs=dict(type="bool", aliases=["verify_ssl"], fallback=(env_fallback, ["K8S_AUTH_VERIFY_SSL"])),
    ca_cert=dict(type="path", aliases=["ssl_ca_cert"], fallback=(env_fallback, ["K8S_AUTH_SSL_CA_CERT"])),
)

# The same options, without environment fallbacks, for a second cluster given
# as a dict option (for example ``member`` next to the Karmada control plane).
K8S_AUTH_SUBOPTIONS = dict(
    kubeconfig=dict(type="raw"),
    context=dict(type="str"),
    host=dict(type="str"),
    api_key=dict(type="str", no_log=True),
    validate_certs=dict(type="bool", aliases=["verify_ssl"]),
    ca_cert=dict(type="path", aliases=["ssl_ca_cert"]),
)

WAIT_SPEC = dict(
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=600),
    wait_sleep=dict(type="int", default=2),
)


def ctyun_auth_argument_spec():
    """Options for the CTyun OpenAPI (AK/SK, region, endpoint, TLS, timeout)."""
    return copy.deepcopy(CTYUN_AUTH_SPEC)


def k8s_auth_argument_spec():
    """Options for one Kubernetes API server, like kubernetes.core."""
    return copy.deepcopy(K8S_AUTH_SPEC)


def k8s_auth_suboptions():
    """Kubernetes access options for a nested dict option."""
    return copy.deepcopy(K8S_AUTH_SUBOPTIONS)


def wait_argument_spec(default_timeout=600):
    spec = copy.deepcopy(WAIT_SPEC)
    spec["wait_timeout"]["default"] = default_timeout
    return spec


def merge_specs(*specs):
    """Merge argument specs; later specs win on the same key."""
    merged = {}
    for spec in specs:
        merged.update(copy.deepcopy(spec))
    return merged


def require_ctyun_credentials(params):
    """Fail before any call when CTyun credentials are missing, naming where to set them."""
    missing = []
    for option, env in (("access_key", "CTYUN_ACCESS_KEY"), ("secret_key", "CTYUN_SECRET_KEY"),
                        ("region_id", "CTYUN_REGION_ID")):
        if not params.get(option):
            missing.append("%s (or environment variable %s)" % (option, env))
    if missing:
        raise ValidationError(
            "Missing CTyun credentials: set %s. With AWX/Tower, attach a CTyun credential that "
            "injects these variables." % ", ".join(missing),
            missing=[m.split(" ")[0] for m in missing],
        )
    return params
