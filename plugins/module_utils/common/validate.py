# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Checks of the options every module shares, run by the module base before the module's own
code, so that bad input fails before the first API call and the message names the option.

Pure functions: each raises :class:`~.errors.ValidationError` or returns None.
"""

from __future__ import annotations

import re

from .errors import ValidationError

# Label keys and values as Kubernetes accepts them (k8s.io/apimachinery/pkg/util/validation:
# IsQualifiedName, IsValidLabelValue): a name of at most 63 characters, alphanumeric at both ends
# with '-', '_' and '.' inside, optionally prefixed by a DNS subdomain (at most 253) and '/'.
_NAME = r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_PREFIX = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*"
_KEY_RE = re.compile(r"^(?:(%s)/)?(%s)$" % (_PREFIX, _NAME))
_VALUE_RE = re.compile(r"^(?:%s)?$" % _NAME)

# The selector grammar of k8s.io/apimachinery/pkg/labels/selector.go (Parse):
#   requirement := [!] KEY [ set-based-restriction | exact-match-restriction ]
#   set-based-restriction := ( "in" | "notin" ) "(" VALUES ")"
#   exact-match-restriction := ( "=" | "==" | "!=" ) VALUE
_REQUIREMENT_RE = re.compile(
    r"^\s*(?:(?P<neg>!)\s*(?P<nkey>[^\s=!(),]+)"
    r"|(?P<key>[^\s=!(),]+)\s*(?:(?P<op>==|=|!=)\s*(?P<value>[^\s=!(),]*)"
    r"|\s+(?P<setop>in|notin)\s*\((?P<values>[^()]*)\))?)\s*$")


def _split_requirements(text):
    """Split on the commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _check_key(option, key):
    match = _KEY_RE.match(key)
    if not match or len(match.group(1) or "") > 253:
        raise ValidationError("%s: %r is not a valid label key (a name of at most 63 characters, letters, digits, "
                              "'-', '_' or '.', alphanumeric at both ends, optionally prefixed by a DNS "
                              "subdomain and '/')" % (option, key))


def _check_value(option, key, value):
    if not _VALUE_RE.match(value):
        raise ValidationError("%s: %r is not a valid value for label %s (at most 63 characters, letters, digits, "
                              "'-', '_' or '.', alphanumeric at both ends)" % (option, value, key))


def label_selector(option, text):
    """Fail unless ``text`` parses as a Kubernetes label selector."""
    if text is None or not text.strip():
        return
    if text.count("(") != text.count(")"):
        raise ValidationError("%s: unbalanced parentheses in label selector %r" % (option, text))
    for part in _split_requirements(text):
        match = _REQUIREMENT_RE.match(part)
        if not part.strip() or not match:
            raise ValidationError("%s: %r is not a label selector requirement; use key, !key, key=value, "
                                  "key!=value, key in (a,b) or key notin (a,b), separated by commas (in %r)"
                                  % (option, part.strip(), text))
        key = match.group("nkey") or match.group("key")
        _check_key(option, key)
        if match.group("op"):
            _check_value(option, key, match.group("value"))
        elif match.group("setop"):
            values = [v.strip() for v in match.group("values").split(",")]
            if values == [""]:
                raise ValidationError("%s: %s %s () needs at least one value (in %r)"
                                      % (option, key, match.group("setop"), text))
            for value in values:
                _check_value(option, key, value)


def url(option, value, schemes=("https",)):
    """Fail unless ``value`` is a URL with one of ``schemes`` and a host."""
    if value in (None, ""):
        return
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#\s]+)", value)
    if not match or match.group(1).lower() not in schemes:
        raise ValidationError("%s: %r must be a %s URL such as %s://api.example.com%s"
                              % (option, value, " or ".join("%s://" % s for s in schemes), schemes[0],
                                 "" if "http" not in schemes else " (http only for a local proxy)"))


def int_range(option, value, low=None, high=None):
    if value is None:
        return
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = ("between %s and %s" % (low, high) if low is not None and high is not None
                  else ("%s or more" % low if low is not None else "%s or less" % high))
        raise ValidationError("%s: %s is out of range; use a value %s" % (option, value, bounds))


# Object names as the API server checks them (k8s.io/apimachinery/pkg/util/validation IsDNS1123Label,
# IsDNS1123Subdomain): a namespace is a label, most objects (custom resources included) a subdomain.
_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_DNS_LABEL_RE = re.compile(r"^%s$" % _DNS_LABEL)
_DNS_SUBDOMAIN_RE = re.compile(r"^%s(?:\.%s)*$" % (_DNS_LABEL, _DNS_LABEL))


def dns_label(option, value):
    """A Namespace name (RFC 1123 label, at most 63 characters)."""
    if value is not None and (len(value) > 63 or not _DNS_LABEL_RE.match(value)):
        raise ValidationError("%s: %r is not a valid Kubernetes namespace name; use at most 63 lower case letters, "
                              "digits and '-', starting and ending with a letter or digit" % (option, value))


def dns_subdomain(option, value):
    """An object name (RFC 1123 subdomain, at most 253 characters)."""
    if value is not None and (len(value) > 253 or not _DNS_SUBDOMAIN_RE.match(value)):
        raise ValidationError("%s: %r is not a valid Kubernetes object name; use at most 253 lower case letters, "
                              "digits, '-' and '.', starting and ending with a letter or digit" % (option, value))


def object_ref(option, value):
    """``namespace/name`` of a namespaced object."""
    if value is None:
        return
    if value.count("/") != 1:
        raise ValidationError("%s: %r must be written namespace/name" % (option, value))
    namespace, name = value.split("/")
    dns_label(option, namespace)
    dns_subdomain(option, name)


def _is_k8s_auth(value):
    """A nested option holding Kubernetes access (``k8s_auth_suboptions``), not, say, a database
    endpoint that also has a ``host``."""
    return isinstance(value, dict) and "host" in value and "kubeconfig" in value and "api_key" in value


def common(params):
    """The checks of the shared options present in ``params``."""
    int_range("wait_timeout", params.get("wait_timeout"), 0)
    int_range("wait_sleep", params.get("wait_sleep"), 1, 3600)
    if params.get("wait_sleep") and params.get("wait_timeout") and params["wait_sleep"] > params["wait_timeout"] > 0:
        raise ValidationError("wait_sleep: %s is longer than wait_timeout (%s); make wait_sleep shorter"
                              % (params["wait_sleep"], params["wait_timeout"]))
    int_range("timeout", params.get("timeout"), 1, 3600)
    int_range("concurrency", params.get("concurrency"), 1, 256)
    url("endpoint", params.get("endpoint"))
    url("host", params.get("host"), schemes=("https", "http"))
    for name, nested in sorted(params.items()):
        if _is_k8s_auth(nested):
            url("%s.host" % name, nested.get("host"), schemes=("https", "http"))
    for name in ("label_selector", "policy_selector"):
        if isinstance(params.get(name), str):
            label_selector(name, params[name])
    # Kubernetes names the modules send (an invalid one would only be refused by the server, or, worse,
    # used in a selector that matches nothing)
    for index, value in enumerate(params.get("namespaces") or []):
        dns_label("namespaces[%d]" % index, value)
    if isinstance(params.get("namespace"), str):
        dns_label("namespace", params["namespace"])
    dns_subdomain("policy_name", params.get("policy_name"))
    for index, value in enumerate(params.get("policies") or []):
        object_ref("policies[%d]" % index, value)
