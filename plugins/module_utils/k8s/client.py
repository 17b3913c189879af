# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Kubernetes API access from the shared ``k8s_auth`` options.

Builds a configured ``kubernetes.client.ApiClient`` (and a ``DynamicClient``)
the way kubernetes.core does: a kubeconfig file or dict plus an optional
context, or a host with a bearer token; TLS verification on unless turned
off; the collection's retry policy on every request.
"""

from __future__ import annotations

import os

from ..common.errors import ValidationError
from ..common.retry import IDEMPOTENT_METHODS, build_retry

try:
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config
    from kubernetes.dynamic import DynamicClient
    from kubernetes.config.config_exception import ConfigException
    HAS_K8S = True
    K8S_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by sanity only
    HAS_K8S = False
    K8S_IMPORT_ERROR = exc
    ConfigException = Exception

AUTH_KEYS = ("kubeconfig", "context", "host", "api_key", "validate_certs", "ca_cert")


def auth_params(params, prefix=None):
    """Pick the k8s auth options out of ``params`` (or out of ``params[prefix]``)."""
    source = params.get(prefix) or {} if prefix else params
    return dict((k, source.get(k)) for k in AUTH_KEYS)


def build_configuration(auth, pool_size=16):
    """Return a ``kubernetes.client.Configuration`` for the given auth options."""
    if not HAS_K8S:
        raise ValidationError("The 'kubernetes' Python library is required: pip install kubernetes "
                              "(%s)" % K8S_IMPORT_ERROR)
    cfg = k8s_client.Configuration()
    kubeconfig = auth.get("kubeconfig")
    context = auth.get("context")
    host = auth.get("host")
    try:
        if isinstance(kubeconfig, dict):
            k8s_config.load_kube_config_from_dict(kubeconfig, context=context,
                                                  client_configuration=cfg, persist_config=False)
        elif kubeconfig or context or not host:
            path = os.path.expanduser(kubeconfig) if kubeconfig else None
            if path and not os.path.exists(path):
                raise ValidationError("kubeconfig: file %s does not exist; give the path of a kubeconfig "
                                      "or set K8S_AUTH_KUBECONFIG" % path)
            if path is None and not os.path.exists(os.path.expanduser("~/.kube/config")) \
                    and os.environ.get("KUBERNETES_SERVICE_HOST"):
                k8s_config.load_incluster_config(client_configuration=cfg)
            else:
                k8s_config.load_kube_config(config_file=path, context=context,
                                            client_configuration=cfg, persist_config=False)
    except ConfigException as exc:
        raise ValidationError("Could not load Kubernetes access (kubeconfig=%s, context=%s): %s"
                              % (kubeconfig if not isinstance(kubeconfig, dict) else "<dict>", context, exc))
    if host:
        cfg.host = host
    if auth.get("api_key"):
        cfg.api_key = {"BearerToken": "Bearer %s" % auth["api_key"]}
    if auth.get("validate_certs") is not None:
        cfg.verify_ssl = bool(auth["validate_certs"])
    if auth.get("ca_cert"):
        cfg.ssl_ca_cert = auth["ca_cert"]
    # PATCH is replayed too: the collection only sends merge patches of absolute values.
    cfg.retries = build_retry(methods=IDEMPOTENT_METHODS | frozenset(["PATCH"]))
    cfg.connection_pool_maxsize = pool_size
    return cfg


def build_api_client(auth, pool_size=16):
    """Return a ``kubernetes.client.ApiClient``."""
    return k8s_client.ApiClient(build_configuration(auth, pool_size=pool_size))


def build_dynamic_client(auth, pool_size=16):
    """Return a ``kubernetes.dynamic.DynamicClient`` (runs discovery lazily)."""
    return DynamicClient(build_api_client(auth, pool_size=pool_size))
