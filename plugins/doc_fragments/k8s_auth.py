# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path to a kubeconfig file, or the kubeconfig content as a dict.
      - If not set, E(K8S_AUTH_KUBECONFIG), then E(KUBECONFIG), then C(~/.kube/config) are used.
    type: raw
  context:
    description:
      - Name of the kubeconfig context to use.
      - If not set, the environment variable E(K8S_AUTH_CONTEXT) or the current context is used.
    type: str
  host:
    description:
      - URL of the Kubernetes API server, instead of or on top of the kubeconfig.
      - If not set, the environment variable E(K8S_AUTH_HOST) is used.
    type: str
  api_key:
    description:
      - Bearer token for the API server. Never logged or returned.
      - If not set, the environment variable E(K8S_AUTH_API_KEY) is used.
    type: str
  validate_certs:
    description:
      - Verify the API server's TLS certificate.
      - The kubeconfig's setting applies when not set; verification is on by default.
      - If not set, the environment variable E(K8S_AUTH_VERIFY_SSL) is used.
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description:
      - Path to a CA certificate used to verify the API server.
      - If not set, the environment variable E(K8S_AUTH_SSL_CA_CERT) is used.
    type: path
    aliases: [ssl_ca_cert]
requirements:
  - python >= 3.9
  - kubernetes >= 28.1.0
  - PyYAML >= 6.0
"""
