# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Preflight checks of a migration. Each check returns a list of reasons (strings) that
stop the migration; the module reports them all at once instead of failing on the first."""

from __future__ import annotations

import re

from ..common.errors import CceMigrationError

CREDENTIAL_ENV = (("access_key", "CTYUN_ACCESS_KEY"), ("secret_key", "CTYUN_SECRET_KEY"),
                  ("region_id", "CTYUN_REGION_ID"))


def parse_version(text):
    """'v1.22.17-eks' -> (1, 22, 17); None when it is not a version."""
    match = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", "%s" % (text or ""))
    if not match:
        return None
    return tuple(int(x or 0) for x in match.groups())


def check_credentials(params):
    return ["CTyun %s is not set: set the option or the environment variable %s" % (opt, env)
            for opt, env in CREDENTIAL_ENV if not params.get(opt)]


def check_versions(source_version, target_version, supported):
    """Source must not be newer than the target; the target must be offered by CCE."""
    reasons = []
    src = parse_version(source_version)
    tgt = parse_version(target_version)
    if tgt is None:
        reasons.append("target_version %r is not a Kubernetes version such as 1.29.3" % target_version)
        return reasons
    if supported is not None and "%d.%d.%d" % tgt not in [("%s" % v).lstrip("v") for v in supported]:
        reasons.append("target_version %s is not offered by CCE in this region (offered: %s)"
                       % (target_version, ", ".join(supported) or "none"))
    if src is not None and src[:2] > tgt[:2]:
        reasons.append("the source cluster runs %s, newer than the target %s: workloads may use APIs the target "
                       "does not serve; choose a target version >= %d.%d" % (source_version, target_version,
                                                                             src[0], src[1]))
    return reasons


def check_quotas(quotas, needed):
    """``quotas``: {name: {available}}; ``needed``: {name: amount}."""
    reasons = []
    for name, amount in sorted(needed.items()):
        if amount <= 0:
            continue
        quota = quotas.get(name)
        if quota is None:
            continue
        available = quota.get("available")
        if available is not None and available < amount:
            reasons.append("CTyun quota %r: %s available, %s needed (limit %s, used %s); raise the quota in the "
                           "console or free capacity" % (name, available, amount, quota.get("limit"),
                                                         quota.get("used")))
    return reasons


def guarded(what, func):
    """Run ``func``; turn an error into a reason naming what could not be checked."""
    try:
        return func(), []
    except CceMigrationError as exc:
        return None, ["%s: %s" % (what, exc.msg)]
    except Exception as exc:  # pylint: disable=broad-except
        return None, ["%s: %s: %s" % (what, type(exc).__name__, exc)]
