# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Label selectors (``metav1.LabelSelector``) matched as Kubernetes matches them. Pure.

``matchLabels`` and ``matchExpressions`` are ANDed (``LabelSelectorAsSelector``,
k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go); ``In`` needs the key with one of the values,
``NotIn`` the key absent or with another value, ``Exists``/``DoesNotExist`` the key present or
absent (k8s.io/apimachinery/pkg/labels/selector.go, ``Requirement.Matches``). An empty selector
selects everything; whether a missing (null) one selects nothing or everything depends on the
object holding it, so callers decide that before calling.
"""

from __future__ import annotations


def matches(labels, selector):
    labels = labels or {}
    for key, value in ((selector or {}).get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in (selector or {}).get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and (key not in labels or labels[key] not in values):
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True
