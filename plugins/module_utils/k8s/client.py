# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Kubernetes API access from the shared ``k8s_auth`` options.

Builds a ``kubernetes.client.Configuration`` the way kubernetes.core does: a kubeconfig
file, a list of files separated by ``:`` as kubectl accepts in ``KUBECONFIG`` (merged, the
first file to set a value wins), or a dict, plus an optional context; or a host with a
bearer token; TLS verification on unless turned off.

Only APIs present in every supported ``kubernetes`` client (28 and later) are used; the REST
layer (``rest.py``) sends through :func:`rest_pool`. :func:`build_api_client` (typed APIs,
used for ``/version``) retries reads with the collection's policy (``common/retry.py``).
"""

from __future__ import annotations

import os

from ..common.errors import ValidationError
from ..common.retry import DEFAULT_POLICY

try:
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config
    from kubernetes.client.rest import RESTClientObject
    from kubernetes.config.config_exception import ConfigException
    HAS_K8S = True
    K8S_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by sanity only
    HAS_K8S = False
    K8S_IMPORT_ERROR = exc
    ConfigException = Exception

AUTH_KEYS = ("kubeconfig", "context", "host", "api_key", "validate_certs", "ca_cert")
# The oldest kubernetes client the collection supports (requirements.txt, docs).
MIN_KUBERNETES = (28, 1, 0)


def kubeconfig_files(value):
    """The files of a kubeconfig option or ``KUBECONFIG``: ``:``-separated, ``~`` expanded, empty dropped."""
    return [os.path.expanduser(part) for part in str(value).split(os.pathsep) if part.strip()]


def client_version():
    """The installed kubernetes client version as a tuple (``(0,)`` when unknown)."""
    try:
        from kubernetes import __version__ as version
    except ImportError:
        return (0,)
    parts = []
    for piece in str(version).split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def auth_params(params, prefix=None):
    """Pick the k8s auth options out of ``params`` (or out of ``params[prefix]``)."""
    source = params.get(prefix) or {} if prefix else params
    return dict((k, source.get(k)) for k in AUTH_KEYS)


def build_configuration(auth, pool_size=16):
    """Return a ``kubernetes.client.Configuration`` for the given auth options."""
    if not HAS_K8S:
        raise ValidationError("The 'kubernetes' Python library is required: pip install kubernetes "
                              "(%s)" % K8S_IMPORT_ERROR)
    if client_version() < MIN_KUBERNETES:
        raise ValidationError("The 'kubernetes' Python library is %s; the collection needs %s or later: "
                              "pip install 'kubernetes>=%s'" % (".".join(map(str, client_version())),
                                                                ".".join(map(str, MIN_KUBERNETES)),
                                                                ".".join(map(str, MIN_KUBERNETES))))
    cfg = k8s_client.Configuration()
    kubeconfig = auth.get("kubeconfig")
    context = auth.get("context")
    host = auth.get("host")
    try:
        if isinstance(kubeconfig, dict):
            k8s_config.load_kube_config_from_dict(kubeconfig, context=context,
                                                  client_configuration=cfg, persist_config=False)
        elif kubeconfig or context or not host:
            source = kubeconfig or os.environ.get("KUBECONFIG")
            files = kubeconfig_files(source) if source else []
            present = [f for f in files if os.path.exists(f)]
            if files and not present:
                # kubectl skips missing files of a list but fails when none exists.
                raise ValidationError("kubeconfig: %s %s not exist; give the path of a kubeconfig (several "
                                      "separated by ':'), or set K8S_AUTH_KUBECONFIG"
                                      % (", ".join(files), "does" if len(files) == 1 else "do"))
            if not files and not os.path.exists(os.path.expanduser("~/.kube/config")) \
                    and os.environ.get("KUBERNETES_SERVICE_HOST"):
                k8s_config.load_incluster_config(client_configuration=cfg)
            else:
                # The client's loader merges a ':'-separated list (KubeConfigMerger) like kubectl.
                config_file = os.pathsep.join(present) if present else None
                k8s_config.load_kube_config(config_file=config_file, context=context,
                                            client_configuration=cfg, persist_config=False)
    except ConfigException as exc:
        raise ValidationError("Could not load Kubernetes access (kubeconfig=%s, context=%s): %s"
                              % (kubeconfig if not isinstance(kubeconfig, dict) else "<dict>", context, exc))
    if host:
        cfg.host = host
    if auth.get("api_key"):
        # "authorization" is the key clients before 37 read, "BearerToken" the one 37 reads first.
        token = "Bearer %s" % auth["api_key"]
        cfg.api_key = {"authorization": token, "BearerToken": token}
        cfg.api_key_prefix = {}
        cfg.refresh_api_key_hook = None
    if auth.get("validate_certs") is not None:
        cfg.verify_ssl = bool(auth["validate_certs"])
    if auth.get("ca_cert"):
        cfg.ssl_ca_cert = auth["ca_cert"]
    # Typed APIs (ApiClient) retry idempotent reads by the policy through urllib3; the REST
    # layer's pool (rest_pool) never retries by itself: it runs the policy's loop instead.
    cfg.retries = DEFAULT_POLICY.urllib3_retry()
    cfg.connection_pool_maxsize = pool_size
    return cfg


def rest_pool(cfg):
    """The urllib3 pool manager the kubernetes client builds for ``cfg`` (TLS, client certs, proxy)."""
    return RESTClientObject(cfg).pool_manager


def build_api_client(auth, pool_size=16):
    """Return a ``kubernetes.client.ApiClient`` (typed APIs)."""
    return k8s_client.ApiClient(build_configuration(auth, pool_size=pool_size))
