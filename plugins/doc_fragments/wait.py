# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  wait:
    description:
      - Wait until the asynchronous work started by the module is finished.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait. On timeout the module fails and says what it waited for and what it saw last.
    type: int
    default: 600
  wait_sleep:
    description:
      - Upper bound, in seconds, of the pause between two polls.
    type: int
    default: 2
"""
