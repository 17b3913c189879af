# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  access_key:
    description:
      - CTyun access key (AK) used to sign OpenAPI requests (EOP signature).
      - If not set, the environment variable E(CTYUN_ACCESS_KEY) is used.
    type: str
    aliases: [ak]
  secret_key:
    description:
      - CTyun secret key (SK). Never logged or returned.
      - If not set, the environment variable E(CTYUN_SECRET_KEY) is used.
    type: str
    aliases: [sk]
  region_id:
    description:
      - CTyun region ID, sent as the C(regionId) header.
      - If not set, the environment variable E(CTYUN_REGION_ID) is used.
    type: str
  endpoint:
    description:
      - Base URL of the CTyun OpenAPI gateway.
      - If not set, the environment variable E(CTYUN_ENDPOINT) is used, else C(https://ccse-global.ctapi.ctyun.cn).
    type: str
  validate_certs:
    description:
      - Verify the TLS certificate of the endpoint. Only turn off for testing.
      - If not set, the environment variable E(CTYUN_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - Path to a CA bundle used to verify the endpoint's certificate.
      - If not set, the environment variable E(CTYUN_CA_BUNDLE) is used.
    type: path
  timeout:
    description:
      - Timeout in seconds of one HTTP request (retries come on top, bounded).
      - If not set, the environment variable E(CTYUN_TIMEOUT) is used.
    type: int
    default: 30
notes:
  - Credentials can be set once for all CTyun modules with
    C(module_defaults) and the action group C(group/ctyun.cce_migration.ctyun).
"""
