# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Suboptions of a nested option that reaches a second API server (a member cluster, the Karmada
# control plane): the same keys as the top-level options, without environment fallbacks.
_ACCESS_SUBOPTIONS = r"""
    suboptions:
      kubeconfig:
        description: Path to a kubeconfig file, or the kubeconfig content as a dict.
        type: raw
      context:
        description: Context in the kubeconfig.
        type: str
      host:
        description: URL of the API server.
        type: str
      api_key:
        description: Bearer token. Never logged.
        type: str
      validate_certs:
        description: Verify the API server's certificate (the kubeconfig's setting when not set; on by default).
        type: bool
        aliases: [verify_ssl]
      ca_cert:
        description: CA certificate to verify the API server.
        type: path
        aliases: [ssl_ca_cert]
"""


def _access(*names):
    """Doc fragment giving the options ``names`` the access suboptions; the module documents the
    option itself (description, type, required), Ansible merges the two."""
    return "\noptions:\n" + "".join("  %s:%s" % (name, _ACCESS_SUBOPTIONS) for name in names)


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


# ctyun.cce_migration.k8s_auth.<NAME>: the suboptions of nested access options, built from the one
# block above (set after the class: ansible-test's YAML lint reads string literals in the class body
# only; tests/unit/test_doc_fragments.py parses these).
ModuleDocFragment.MEMBER = _access("member")
ModuleDocFragment.SOURCE = _access("source")
ModuleDocFragment.KARMADA = _access("karmada")
ModuleDocFragment.MEMBERS = _access("source_cluster", "target_cluster")
