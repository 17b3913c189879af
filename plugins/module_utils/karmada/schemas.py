# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Karmada policy schemas, and the validation of policies against them before any call.

The schemas (``SCHEMAS``) are Karmada's CRDs (policy.karmada.io, v1alpha1) reduced to what
validation needs (types, properties, required fields, enums, bounds; no prose). The block
between the GENERATED markers is written by tools/derive_karmada_schemas.py: do not edit it
by hand, run the tool again when the CRDs change.

Validation is JSON Schema (``jsonschema``, draft 7) on a translation of the structural schema,
so it checks what the API server checks: types, required fields, enums, ``minItems``,
bounds, int-or-string, maps. One deliberate difference: unknown fields are errors here (the
API server prunes them silently, and a misspelt option must not vanish). In check mode the
writes themselves go to the server with ``dryRun=All`` as well (``k8s/rest.py``).
"""

from __future__ import annotations

import json

from ..common.errors import ValidationError

try:
    import jsonschema
    HAS_JSONSCHEMA = True
except ImportError:  # pragma: no cover - listed in requirements.txt
    HAS_JSONSCHEMA = False


def to_json_schema(node):
    """The JSON Schema (draft 7) of a reduced structural schema node."""
    if not isinstance(node, dict):
        return node
    if node.get("x-kubernetes-int-or-string"):
        out = {"type": ["integer", "string"]}
    else:
        out = {}
        for key in ("type", "enum", "required", "minimum", "maximum", "minItems", "maxItems", "pattern"):
            if key in node:
                out[key] = node[key]
        if "properties" in node:
            out["properties"] = dict((k, to_json_schema(v)) for k, v in node["properties"].items())
            if not node.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in node:
                out["additionalProperties"] = False
        if isinstance(node.get("additionalProperties"), dict):
            out["additionalProperties"] = to_json_schema(node["additionalProperties"])
        if isinstance(node.get("items"), dict):
            out["items"] = to_json_schema(node["items"])
    if node.get("nullable") and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = types + ["null"]
    return out


_VALIDATORS = {}


def _validator(key):
    if key not in _VALIDATORS:
        _VALIDATORS[key] = jsonschema.Draft7Validator(to_json_schema(SCHEMAS[key]))
    return _VALIDATORS[key]


def _where(kind, error):
    path = kind
    for part in error.absolute_path:
        path += "[%d]" % part if isinstance(part, int) else ".%s" % part
    return path


def _message(kind, error):
    where = _where(kind, error)
    if error.validator == "additionalProperties" and error.validator_value is False:
        extra = sorted(set(error.instance) - set(error.schema.get("properties") or {}))
        return "; ".join("%s.%s: unknown field" % (where, name) for name in extra)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return "%s.%s: required value" % (where, missing)
    if error.validator == "enum":
        return "%s: unsupported value %r; supported values: %s" % (
            where, error.instance, ", ".join(repr(v) for v in error.validator_value))
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return "%s: must be of type %s, got %s" % (where, expected, type(error.instance).__name__)
    return "%s: %s" % (where, error.message)


def errors_for(obj):
    """List of problems of ``obj`` (a Karmada policy), each naming the field path."""
    key = "%s/%s" % (obj.get("apiVersion"), obj.get("kind"))
    if key not in SCHEMAS:
        return ["apiVersion/kind %s is not a Karmada policy kind the collection knows (%s)"
                % (key, ", ".join(sorted(SCHEMAS)))]
    if not HAS_JSONSCHEMA:
        raise ValidationError("The 'jsonschema' Python library is required to validate Karmada policies: "
                              "pip install jsonschema")
    kind = obj.get("kind", "object")
    body = dict((k, v) for k, v in obj.items() if k != "metadata")
    errors = [_message(kind, e) for e in sorted(_validator(key).iter_errors(body), key=lambda e: list(e.path))]
    if not (obj.get("metadata") or {}).get("name"):
        errors.append("%s.metadata.name: required value" % kind)
    return errors


def validate(obj, what=None):
    """Return ``obj``; raise :class:`ValidationError` naming every wrong field otherwise."""
    problems = errors_for(obj)
    if problems:
        name = what or (obj.get("metadata") or {}).get("name", "object")
        raise ValidationError("%s is not a valid %s: %s" % (name, obj.get("kind"), "; ".join(problems)),
                              validation_errors=problems)
    return obj


# ---- BEGIN GENERATED by tools/derive_karmada_schemas.py: do not edit by hand ----
_DATA = (
    "{\"policy.karmada.io/v1alpha1/ClusterOverridePolicy\":{\"properties\":{\"apiVersion\":{\"type\":\"string\"},\"k"
    "ind\":{\"type\":\"string\"},\"metadata\":{\"type\":\"object\"},\"spec\":{\"properties\":{\"overrideRules\":{\"items\":{"
    "\"properties\":{\"overriders\":{\"properties\":{\"annotationsOverrider\":{\"items\":{\"properties\":{\"operator\":"
    "{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"string\"},\"value\":{\"additionalProperties\":{\"type\":\"string\""
    "},\"type\":\"object\"}},\"required\":[\"operator\",\"value\"],\"type\":\"object\"},\"type\":\"array\"},\"argsOverrider\""
    ":{\"items\":{\"properties\":{\"containerName\":{\"type\":\"string\"},\"operator\":{\"enum\":[\"add\",\"remove\"],\"type"
    "\":\"string\"},\"value\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"containerName\",\"operato"
    "r\"],\"type\":\"object\"},\"type\":\"array\"},\"commandOverrider\":{\"items\":{\"properties\":{\"containerName\":{\"ty"
    "pe\":\"string\"},\"operator\":{\"enum\":[\"add\",\"remove\"],\"type\":\"string\"},\"value\":{\"items\":{\"type\":\"string\""
    "},\"type\":\"array\"}},\"required\":[\"containerName\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\"fieldOv"
    "errider\":{\"items\":{\"properties\":{\"fieldPath\":{\"type\":\"string\"},\"json\":{\"items\":{\"properties\":{\"opera"
    "tor\":{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"string\"},\"subPath\":{\"type\":\"string\"},\"value\":{\"x-kub"
    "ernetes-preserve-unknown-fields\":true}},\"required\":[\"operator\",\"subPath\"],\"type\":\"object\"},\"type\":\"a"
    "rray\"},\"yaml\":{\"items\":{\"properties\":{\"operator\":{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"string\"}"
    ",\"subPath\":{\"type\":\"string\"},\"value\":{\"x-kubernetes-preserve-unknown-fields\":true}},\"required\":[\"ope"
    "rator\",\"subPath\"],\"type\":\"object\"},\"type\":\"array\"}},\"required\":[\"fieldPath\"],\"type\":\"object\"},\"type\""
    ":\"array\"},\"imageOverrider\":{\"items\":{\"properties\":{\"component\":{\"enum\":[\"Registry\",\"Repository\",\"Tag"
    "\"],\"type\":\"string\"},\"operator\":{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"string\"},\"predicate\":{\"pro"
    "perties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"],\"type\":\"object\"},\"value\":{\"type\":\"string\"}},"
    "\"required\":[\"component\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\"labelsOverrider\":{\"items\":{\"pr"
    "operties\":{\"operator\":{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"string\"},\"value\":{\"additionalProper"
    "ties\":{\"type\":\"string\"},\"type\":\"object\"}},\"required\":[\"operator\",\"value\"],\"type\":\"object\"},\"type\":\"a"
    "rray\"},\"plaintext\":{\"items\":{\"properties\":{\"operator\":{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"str"
    "ing\"},\"path\":{\"type\":\"string\"},\"value\":{\"x-kubernetes-preserve-unknown-fields\":true}},\"required\":[\"o"
    "perator\",\"path\"],\"type\":\"object\"},\"type\":\"array\"}},\"type\":\"object\"},\"targetCluster\":{\"properties\":{\""
    "clusterNames\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"},\"exclude\":{\"items\":{\"type\":\"string\"},\"type\""
    ":\"array\"},\"fieldSelector\":{\"properties\":{\"matchExpressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"s"
    "tring\"},\"operator\":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\""
    ":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"}},\"type\":\"object\"},\"labelSelector\":{\"properties\""
    ":{\"matchExpressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"v"
    "alues\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"t"
    "ype\":\"array\"},\"matchLabels\":{\"additionalProperties\":{\"type\":\"string\"},\"type\":\"object\"}},\"type\":\"obje"
    "ct\"}},\"type\":\"object\"}},\"required\":[\"overriders\"],\"type\":\"object\"},\"type\":\"array\"},\"overriders\":{\"pr"
    "operties\":{\"annotationsOverrider\":{\"items\":{\"properties\":{\"operator\":{\"enum\":[\"add\",\"remove\",\"replac"
    "e\"],\"type\":\"string\"},\"value\":{\"additionalProperties\":{\"type\":\"string\"},\"type\":\"object\"}},\"required\":"
    "[\"operator\",\"value\"],\"type\":\"object\"},\"type\":\"array\"},\"argsOverrider\":{\"items\":{\"properties\":{\"conta"
    "inerName\":{\"type\":\"string\"},\"operator\":{\"enum\":[\"add\",\"remove\"],\"type\":\"string\"},\"value\":{\"items\":{\""
    "type\":\"string\"},\"type\":\"array\"}},\"required\":[\"containerName\",\"operator\"],\"type\":\"object\"},\"type\":\"ar"
    "ray\"},\"commandOverrider\":{\"items\":{\"properties\":{\"containerName\":{\"type\":\"string\"},\"operator\":{\"enum"
    "\":[\"add\",\"remove\"],\"type\":\"string\"},\"value\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":["
    "\"containerName\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\"fieldOverrider\":{\"items\":{\"properties\""
    ":{\"fieldPath\":{\"type\":\"string\"},\"json\":{\"items\":{\"properties\":{\"operator\":{\"enum\":[\"add\",\"remove\",\"r"
    "eplace\"],\"type\":\"string\"},\"subPath\":{\"type\":\"string\"},\"value\":{\"x-kubernetes-preserve-unknown-fields"
    "\":true}},\"required\":[\"operator\",\"subPath\"],\"type\":\"object\"},\"type\":\"array\"},\"yaml\":{\"items\":{\"proper"
    "ties\":{\"operator\":{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"string\"},\"subPath\":{\"type\":\"string\"},\"v"
    "alue\":{\"x-kubernetes-preserve-unknown-fields\":true}},\"required\":[\"operator\",\"subPath\"],\"type\":\"objec"
    "t\"},\"type\":\"array\"}},\"required\":[\"fieldPath\"],\"type\":\"object\"},\"type\":\"array\"},\"imageOverrider\":{\"it"
    "ems\":{\"properties\":{\"component\":{\"enum\":[\"Registry\",\"Repository\",\"Tag\"],\"type\":\"string\"},\"operator\":"
    "{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"string\"},\"predicate\":{\"properties\":{\"path\":{\"type\":\"strin"
    "g\"}},\"required\":[\"path\"],\"type\":\"object\"},\"value\":{\"type\":\"string\"}},\"required\":[\"component\",\"operat"
    "or\"],\"type\":\"object\"},\"type\":\"array\"},\"labelsOverrider\":{\"items\":{\"properties\":{\"operator\":{\"enum\":["
    "\"add\",\"remove\",\"replace\"],\"type\":\"string\"},\"value\":{\"additionalProperties\":{\"type\":\"string\"},\"type\":"
    "\"object\"}},\"required\":[\"operator\",\"value\"],\"type\":\"object\"},\"type\":\"array\"},\"plaintext\":{\"items\":{\"p"
    "roperties\":{\"operator\":{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"string\"},\"path\":{\"type\":\"string\"},"
    "\"value\":{\"x-kubernetes-preserve-unknown-fields\":true}},\"required\":[\"operator\",\"path\"],\"type\":\"object"
    "\"},\"type\":\"array\"}},\"type\":\"object\"},\"resourceSelectors\":{\"items\":{\"properties\":{\"apiVersion\":{\"type"
    "\":\"string\"},\"kind\":{\"type\":\"string\"},\"labelSelector\":{\"properties\":{\"matchExpressions\":{\"items\":{\"pr"
    "operties\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},"
    "\"type\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\"matchLabels\":{\"addi"
    "tionalProperties\":{\"type\":\"string\"},\"type\":\"object\"}},\"type\":\"object\"},\"name\":{\"type\":\"string\"},\"nam"
    "espace\":{\"type\":\"string\"}},\"required\":[\"apiVersion\",\"kind\"],\"type\":\"object\"},\"type\":\"array\"},\"target"
    "Cluster\":{\"properties\":{\"clusterNames\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"},\"exclude\":{\"items\""
    ":{\"type\":\"string\"},\"type\":\"array\"},\"fieldSelector\":{\"properties\":{\"matchExpressions\":{\"items\":{\"prop"
    "erties\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"t"
    "ype\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"}},\"type\":\"object\"},\"lab"
    "elSelector\":{\"properties\":{\"matchExpressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"string\"},\"opera"
    "tor\":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"opera"
    "tor\"],\"type\":\"object\"},\"type\":\"array\"},\"matchLabels\":{\"additionalProperties\":{\"type\":\"string\"},\"type"
    "\":\"object\"}},\"type\":\"object\"}},\"type\":\"object\"}},\"type\":\"object\"}},\"required\":[\"spec\"],\"type\":\"objec"
    "t\"},\"policy.karmada.io/v1alpha1/ClusterPropagationPolicy\":{\"properties\":{\"apiVersion\":{\"type\":\"strin"
    "g\"},\"kind\":{\"type\":\"string\"},\"metadata\":{\"type\":\"object\"},\"spec\":{\"properties\":{\"activationPreferenc"
    "e\":{\"enum\":[\"Lazy\"],\"type\":\"string\"},\"association\":{\"type\":\"boolean\"},\"conflictResolution\":{\"enum\":["
    "\"Abort\",\"Overwrite\"],\"type\":\"string\"},\"dependentOverrides\":{\"items\":{\"type\":\"string\"},\"type\":\"array\""
    "},\"failover\":{\"properties\":{\"application\":{\"properties\":{\"decisionConditions\":{\"properties\":{\"tolera"
    "tionSeconds\":{\"format\":\"int32\",\"type\":\"integer\"}},\"type\":\"object\"},\"gracePeriodSeconds\":{\"format\":\"i"
    "nt32\",\"type\":\"integer\"},\"purgeMode\":{\"enum\":[\"Directly\",\"Gracefully\",\"Never\"],\"type\":\"string\"},\"stat"
    "ePreservation\":{\"properties\":{\"rules\":{\"items\":{\"properties\":{\"aliasLabelName\":{\"type\":\"string\"},\"js"
    "onPath\":{\"type\":\"string\"}},\"required\":[\"aliasLabelName\",\"jsonPath\"],\"type\":\"object\"},\"type\":\"array\"}"
    "},\"required\":[\"rules\"],\"type\":\"object\"}},\"required\":[\"decisionConditions\"],\"type\":\"object\"},\"cluster"
    "\":{\"properties\":{\"purgeMode\":{\"enum\":[\"Directly\",\"Gracefully\"],\"type\":\"string\"},\"statePreservation\":"
    "{\"properties\":{\"rules\":{\"items\":{\"properties\":{\"aliasLabelName\":{\"type\":\"string\"},\"jsonPath\":{\"type\""
    ":\"string\"}},\"required\":[\"aliasLabelName\",\"jsonPath\"],\"type\":\"object\"},\"type\":\"array\"}},\"required\":[\""
    "rules\"],\"type\":\"object\"}},\"type\":\"object\"}},\"type\":\"object\"},\"placement\":{\"properties\":{\"clusterAffi"
    "nities\":{\"items\":{\"properties\":{\"affinityName\":{\"type\":\"string\"},\"clusterNames\":{\"items\":{\"type\":\"st"
    "ring\"},\"type\":\"array\"},\"exclude\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"},\"fieldSelector\":{\"proper"
    "ties\":{\"matchExpressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string"
    "\"},\"values\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object"
    "\"},\"type\":\"array\"}},\"type\":\"object\"},\"labelSelector\":{\"properties\":{\"matchExpressions\":{\"items\":{\"pr"
    "operties\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},"
    "\"type\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\"matchLabels\":{\"addi"
    "tionalProperties\":{\"type\":\"string\"},\"type\":\"object\"}},\"type\":\"object\"},\"overflowAffinities\":{\"items\""
    ":{\"properties\":{\"affinityName\":{\"type\":\"string\"},\"clusterNames\":{\"items\":{\"type\":\"string\"},\"type\":\"a"
    "rray\"},\"exclude\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"},\"fieldSelector\":{\"properties\":{\"matchExp"
    "ressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"values\":{\"it"
    "ems\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array"
    "\"}},\"type\":\"object\"},\"labelSelector\":{\"properties\":{\"matchExpressions\":{\"items\":{\"properties\":{\"key\""
    ":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}}"
    ",\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\"matchLabels\":{\"additionalProperties"
    "\":{\"type\":\"string\"},\"type\":\"object\"}},\"type\":\"object\"}},\"required\":[\"affinityName\"],\"type\":\"object\"}"
    ",\"type\":\"array\"}},\"required\":[\"affinityName\"],\"type\":\"object\"},\"type\":\"array\"},\"clusterAffinity\":{\"p"
    "roperties\":{\"clusterNames\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"},\"exclude\":{\"items\":{\"type\":\"st"
    "ring\"},\"type\":\"array\"},\"fieldSelector\":{\"properties\":{\"matchExpressions\":{\"items\":{\"properties\":{\"ke"
    "y\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"type\":\"array\""
    "}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"}},\"type\":\"object\"},\"labelSelector\":"
    "{\"properties\":{\"matchExpressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type\""
    ":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type\""
    ":\"object\"},\"type\":\"array\"},\"matchLabels\":{\"additionalProperties\":{\"type\":\"string\"},\"type\":\"object\"}}"
    ",\"type\":\"object\"}},\"type\":\"object\"},\"clusterTolerations\":{\"items\":{\"properties\":{\"effect\":{\"type\":\"s"
    "tring\"},\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"tolerationSeconds\":{\"format\":\"int64\",\""
    "type\":\"integer\"},\"value\":{\"type\":\"string\"}},\"type\":\"object\"},\"type\":\"array\"},\"replicaScheduling\":{\"p"
    "roperties\":{\"replicaDivisionPreference\":{\"enum\":[\"Aggregated\",\"Weighted\"],\"type\":\"string\"},\"replicaS"
    "chedulingType\":{\"enum\":[\"Duplicated\",\"Divided\"],\"type\":\"string\"},\"weightPreference\":{\"properties\":{\""
    "dynamicWeight\":{\"enum\":[\"AvailableReplicas\"],\"type\":\"string\"},\"staticWeightList\":{\"items\":{\"properti"
    "es\":{\"targetCluster\":{\"properties\":{\"clusterNames\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"},\"exclu"
    "de\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"},\"fieldSelector\":{\"properties\":{\"matchExpressions\":{\"i"
    "tems\":{\"properties\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":"
    "\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"}},\"type\":\"o"
    "bject\"},\"labelSelector\":{\"properties\":{\"matchExpressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"str"
    "ing\"},\"operator\":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":["
    "\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\"matchLabels\":{\"additionalProperties\":{\"type\":\"st"
    "ring\"},\"type\":\"object\"}},\"type\":\"object\"}},\"type\":\"object\"},\"weight\":{\"format\":\"int64\",\"minimum\":1,\""
    "type\":\"integer\"}},\"required\":[\"targetCluster\",\"weight\"],\"type\":\"object\"},\"type\":\"array\"}},\"type\":\"ob"
    "ject\"}},\"type\":\"object\"},\"spreadConstraints\":{\"items\":{\"properties\":{\"maxGroups\":{\"type\":\"integer\"},"
    "\"minGroups\":{\"type\":\"integer\"},\"spreadByField\":{\"enum\":[\"cluster\",\"region\",\"zone\",\"provider\"],\"type\""
    ":\"string\"},\"spreadByLabel\":{\"type\":\"string\"}},\"type\":\"object\"},\"type\":\"array\"},\"workloadAffinity\":{\""
    "properties\":{\"affinity\":{\"properties\":{\"groupByLabelKey\":{\"type\":\"string\"}},\"required\":[\"groupByLabe"
    "lKey\"],\"type\":\"object\"},\"antiAffinity\":{\"properties\":{\"groupByLabelKey\":{\"type\":\"string\"}},\"required"
    "\":[\"groupByLabelKey\"],\"type\":\"object\"}},\"type\":\"object\"}},\"type\":\"object\"},\"preemption\":{\"enum\":[\"Al"
    "ways\",\"Never\"],\"type\":\"string\"},\"preserveResourcesOnDeletion\":{\"type\":\"boolean\"},\"priority\":{\"format"
    "\":\"int32\",\"type\":\"integer\"},\"propagateDeps\":{\"type\":\"boolean\"},\"resourceSelectors\":{\"items\":{\"proper"
    "ties\":{\"apiVersion\":{\"type\":\"string\"},\"kind\":{\"type\":\"string\"},\"labelSelector\":{\"properties\":{\"match"
    "Expressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"values\":{"
    "\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"ar"
    "ray\"},\"matchLabels\":{\"additionalProperties\":{\"type\":\"string\"},\"type\":\"object\"}},\"type\":\"object\"},\"na"
    "me\":{\"type\":\"string\"},\"namespace\":{\"type\":\"string\"}},\"required\":[\"apiVersion\",\"kind\"],\"type\":\"object"
    "\"},\"minItems\":1,\"type\":\"array\"},\"schedulePriority\":{\"properties\":{\"priorityClassName\":{\"type\":\"strin"
    "g\"},\"priorityClassSource\":{\"enum\":[\"KubePriorityClass\"],\"type\":\"string\"}},\"required\":[\"priorityClass"
    "Name\",\"priorityClassSource\"],\"type\":\"object\"},\"schedulerName\":{\"type\":\"string\"},\"suspension\":{\"prope"
    "rties\":{\"dispatching\":{\"type\":\"boolean\"},\"dispatchingOnClusters\":{\"properties\":{\"clusterNames\":{\"ite"
    "ms\":{\"type\":\"string\"},\"type\":\"array\"}},\"type\":\"object\"}},\"type\":\"object\"}},\"required\":[\"resourceSele"
    "ctors\"],\"type\":\"object\"}},\"required\":[\"spec\"],\"type\":\"object\"},\"policy.karmada.io/v1alpha1/OverrideP"
    "olicy\":{\"properties\":{\"apiVersion\":{\"type\":\"string\"},\"kind\":{\"type\":\"string\"},\"metadata\":{\"type\":\"ob"
    "ject\"},\"spec\":{\"properties\":{\"overrideRules\":{\"items\":{\"properties\":{\"overriders\":{\"properties\":{\"an"
    "notationsOverrider\":{\"items\":{\"properties\":{\"operator\":{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"st"
    "ring\"},\"value\":{\"additionalProperties\":{\"type\":\"string\"},\"type\":\"object\"}},\"required\":[\"operator\",\"v"
    "alue\"],\"type\":\"object\"},\"type\":\"array\"},\"argsOverrider\":{\"items\":{\"properties\":{\"containerName\":{\"ty"
    "pe\":\"string\"},\"operator\":{\"enum\":[\"add\",\"remove\"],\"type\":\"string\"},\"value\":{\"items\":{\"type\":\"string\""
    "},\"type\":\"array\"}},\"required\":[\"containerName\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\"command"
    "Overrider\":{\"items\":{\"properties\":{\"containerName\":{\"type\":\"string\"},\"operator\":{\"enum\":[\"add\",\"remo"
    "ve\"],\"type\":\"string\"},\"value\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"containerName"
    "\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\"fieldOverrider\":{\"items\":{\"properties\":{\"fieldPath\":"
    "{\"type\":\"string\"},\"json\":{\"items\":{\"properties\":{\"operator\":{\"enum\":[\"add\",\"remove\",\"replace\"],\"type"
    "\":\"string\"},\"subPath\":{\"type\":\"string\"},\"value\":{\"x-kubernetes-preserve-unknown-fields\":true}},\"requ"
    "ired\":[\"operator\",\"subPath\"],\"type\":\"object\"},\"type\":\"array\"},\"yaml\":{\"items\":{\"properties\":{\"operat"
    "or\":{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"string\"},\"subPath\":{\"type\":\"string\"},\"value\":{\"x-kube"
    "rnetes-preserve-unknown-fields\":true}},\"required\":[\"operator\",\"subPath\"],\"type\":\"object\"},\"type\":\"ar"
    "ray\"}},\"required\":[\"fieldPath\"],\"type\":\"object\"},\"type\":\"array\"},\"imageOverrider\":{\"items\":{\"propert"
    "ies\":{\"component\":{\"enum\":[\"Registry\",\"Repository\",\"Tag\"],\"type\":\"string\"},\"operator\":{\"enum\":[\"add\""
    ",\"remove\",\"replace\"],\"type\":\"string\"},\"predicate\":{\"properties\":{\"path\":{\"type\":\"string\"}},\"required"
    "\":[\"path\"],\"type\":\"object\"},\"value\":{\"type\":\"string\"}},\"required\":[\"component\",\"operator\"],\"type\":\"o"
    "bject\"},\"type\":\"array\"},\"labelsOverrider\":{\"items\":{\"properties\":{\"operator\":{\"enum\":[\"add\",\"remove\""
    ",\"replace\"],\"type\":\"string\"},\"value\":{\"additionalProperties\":{\"type\":\"string\"},\"type\":\"object\"}},\"re"
    "quired\":[\"operator\",\"value\"],\"type\":\"object\"},\"type\":\"array\"},\"plaintext\":{\"items\":{\"properties\":{\"o"
    "perator\":{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"string\"},\"path\":{\"type\":\"string\"},\"value\":{\"x-ku"
    "bernetes-preserve-unknown-fields\":true}},\"required\":[\"operator\",\"path\"],\"type\":\"object\"},\"type\":\"arr"
    "ay\"}},\"type\":\"object\"},\"targetCluster\":{\"properties\":{\"clusterNames\":{\"items\":{\"type\":\"string\"},\"typ"
    "e\":\"array\"},\"exclude\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"},\"fieldSelector\":{\"properties\":{\"mat"
    "chExpressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"values\""
    ":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\""
    "array\"}},\"type\":\"object\"},\"labelSelector\":{\"properties\":{\"matchExpressions\":{\"items\":{\"properties\":{"
    "\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"type\":\"arr"
    "ay\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\"matchLabels\":{\"additionalPrope"
    "rties\":{\"type\":\"string\"},\"type\":\"object\"}},\"type\":\"object\"}},\"type\":\"object\"}},\"required\":[\"override"
    "rs\"],\"type\":\"object\"},\"type\":\"array\"},\"overriders\":{\"properties\":{\"annotationsOverrider\":{\"items\":{\""
    "properties\":{\"operator\":{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"string\"},\"value\":{\"additionalProp"
    "erties\":{\"type\":\"string\"},\"type\":\"object\"}},\"required\":[\"operator\",\"value\"],\"type\":\"object\"},\"type\":"
    "\"array\"},\"argsOverrider\":{\"items\":{\"properties\":{\"containerName\":{\"type\":\"string\"},\"operator\":{\"enum"
    "\":[\"add\",\"remove\"],\"type\":\"string\"},\"value\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":["
    "\"containerName\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\"commandOverrider\":{\"items\":{\"propertie"
    "s\":{\"containerName\":{\"type\":\"string\"},\"operator\":{\"enum\":[\"add\",\"remove\"],\"type\":\"string\"},\"value\":{"
    "\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"containerName\",\"operator\"],\"type\":\"object\"},"
    "\"type\":\"array\"},\"fieldOverrider\":{\"items\":{\"properties\":{\"fieldPath\":{\"type\":\"string\"},\"json\":{\"item"
    "s\":{\"properties\":{\"operator\":{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"string\"},\"subPath\":{\"type\":\""
    "string\"},\"value\":{\"x-kubernetes-preserve-unknown-fields\":true}},\"required\":[\"operator\",\"subPath\"],\"t"
    "ype\":\"object\"},\"type\":\"array\"},\"yaml\":{\"items\":{\"properties\":{\"operator\":{\"enum\":[\"add\",\"remove\",\"re"
    "place\"],\"type\":\"string\"},\"subPath\":{\"type\":\"string\"},\"value\":{\"x-kubernetes-preserve-unknown-fields\""
    ":true}},\"required\":[\"operator\",\"subPath\"],\"type\":\"object\"},\"type\":\"array\"}},\"required\":[\"fieldPath\"]"
    ",\"type\":\"object\"},\"type\":\"array\"},\"imageOverrider\":{\"items\":{\"properties\":{\"component\":{\"enum\":[\"Reg"
    "istry\",\"Repository\",\"Tag\"],\"type\":\"string\"},\"operator\":{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"st"
    "ring\"},\"predicate\":{\"properties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"],\"type\":\"object\"},\"va"
    "lue\":{\"type\":\"string\"}},\"required\":[\"component\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\"labels"
    "Overrider\":{\"items\":{\"properties\":{\"operator\":{\"enum\":[\"add\",\"remove\",\"replace\"],\"type\":\"string\"},\"v"
    "alue\":{\"additionalProperties\":{\"type\":\"string\"},\"type\":\"object\"}},\"required\":[\"operator\",\"value\"],\"t"
    "ype\":\"object\"},\"type\":\"array\"},\"plaintext\":{\"items\":{\"properties\":{\"operator\":{\"enum\":[\"add\",\"remove"
    "\",\"replace\"],\"type\":\"string\"},\"path\":{\"type\":\"string\"},\"value\":{\"x-kubernetes-preserve-unknown-field"
    "s\":true}},\"required\":[\"operator\",\"path\"],\"type\":\"object\"},\"type\":\"array\"}},\"type\":\"object\"},\"resourc"
    "eSelectors\":{\"items\":{\"properties\":{\"apiVersion\":{\"type\":\"string\"},\"kind\":{\"type\":\"string\"},\"labelSe"
    "lector\":{\"properties\":{\"matchExpressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"string\"},\"operator\""
    ":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"operator\""
    "],\"type\":\"object\"},\"type\":\"array\"},\"matchLabels\":{\"additionalProperties\":{\"type\":\"string\"},\"type\":\"o"
    "bject\"}},\"type\":\"object\"},\"name\":{\"type\":\"string\"},\"namespace\":{\"type\":\"string\"}},\"required\":[\"apiVe"
    "rsion\",\"kind\"],\"type\":\"object\"},\"type\":\"array\"},\"targetCluster\":{\"properties\":{\"clusterNames\":{\"item"
    "s\":{\"type\":\"string\"},\"type\":\"array\"},\"exclude\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"},\"fieldSele"
    "ctor\":{\"properties\":{\"matchExpressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"string\"},\"operator\":{"
    "\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"operator\"],"
    "\"type\":\"object\"},\"type\":\"array\"}},\"type\":\"object\"},\"labelSelector\":{\"properties\":{\"matchExpressions\""
    ":{\"items\":{\"properties\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"values\":{\"items\":{\"ty"
    "pe\":\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\"match"
    "Labels\":{\"additionalProperties\":{\"type\":\"string\"},\"type\":\"object\"}},\"type\":\"object\"}},\"type\":\"object"
    "\"}},\"type\":\"object\"}},\"required\":[\"spec\"],\"type\":\"object\"},\"policy.karmada.io/v1alpha1/PropagationPo"
    "licy\":{\"properties\":{\"apiVersion\":{\"type\":\"string\"},\"kind\":{\"type\":\"string\"},\"metadata\":{\"type\":\"obj"
    "ect\"},\"spec\":{\"properties\":{\"activationPreference\":{\"enum\":[\"Lazy\"],\"type\":\"string\"},\"association\":{"
    "\"type\":\"boolean\"},\"conflictResolution\":{\"enum\":[\"Abort\",\"Overwrite\"],\"type\":\"string\"},\"dependentOver"
    "rides\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"},\"failover\":{\"properties\":{\"application\":{\"properti"
    "es\":{\"decisionConditions\":{\"properties\":{\"tolerationSeconds\":{\"format\":\"int32\",\"type\":\"integer\"}},\"t"
    "ype\":\"object\"},\"gracePeriodSeconds\":{\"format\":\"int32\",\"type\":\"integer\"},\"purgeMode\":{\"enum\":[\"Direct"
    "ly\",\"Gracefully\",\"Never\"],\"type\":\"string\"},\"statePreservation\":{\"properties\":{\"rules\":{\"items\":{\"pro"
    "perties\":{\"aliasLabelName\":{\"type\":\"string\"},\"jsonPath\":{\"type\":\"string\"}},\"required\":[\"aliasLabelNa"
    "me\",\"jsonPath\"],\"type\":\"object\"},\"type\":\"array\"}},\"required\":[\"rules\"],\"type\":\"object\"}},\"required\":"
    "[\"decisionConditions\"],\"type\":\"object\"},\"cluster\":{\"properties\":{\"purgeMode\":{\"enum\":[\"Directly\",\"Gr"
    "acefully\"],\"type\":\"string\"},\"statePreservation\":{\"properties\":{\"rules\":{\"items\":{\"properties\":{\"alia"
    "sLabelName\":{\"type\":\"string\"},\"jsonPath\":{\"type\":\"string\"}},\"required\":[\"aliasLabelName\",\"jsonPath\"]"
    ",\"type\":\"object\"},\"type\":\"array\"}},\"required\":[\"rules\"],\"type\":\"object\"}},\"type\":\"object\"}},\"type\":\""
    "object\"},\"placement\":{\"properties\":{\"clusterAffinities\":{\"items\":{\"properties\":{\"affinityName\":{\"typ"
    "e\":\"string\"},\"clusterNames\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"},\"exclude\":{\"items\":{\"type\":\"s"
    "tring\"},\"type\":\"array\"},\"fieldSelector\":{\"properties\":{\"matchExpressions\":{\"items\":{\"properties\":{\"k"
    "ey\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"type\":\"array"
    "\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"}},\"type\":\"object\"},\"labelSelector\""
    ":{\"properties\":{\"matchExpressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type"
    "\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type"
    "\":\"object\"},\"type\":\"array\"},\"matchLabels\":{\"additionalProperties\":{\"type\":\"string\"},\"type\":\"object\"}"
    "},\"type\":\"object\"},\"overflowAffinities\":{\"items\":{\"properties\":{\"affinityName\":{\"type\":\"string\"},\"cl"
    "usterNames\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"},\"exclude\":{\"items\":{\"type\":\"string\"},\"type\":\""
    "array\"},\"fieldSelector\":{\"properties\":{\"matchExpressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"str"
    "ing\"},\"operator\":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":["
    "\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"}},\"type\":\"object\"},\"labelSelector\":{\"properties\":{"
    "\"matchExpressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"val"
    "ues\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"typ"
    "e\":\"array\"},\"matchLabels\":{\"additionalProperties\":{\"type\":\"string\"},\"type\":\"object\"}},\"type\":\"object"
    "\"}},\"required\":[\"affinityName\"],\"type\":\"object\"},\"type\":\"array\"}},\"required\":[\"affinityName\"],\"type\""
    ":\"object\"},\"type\":\"array\"},\"clusterAffinity\":{\"properties\":{\"clusterNames\":{\"items\":{\"type\":\"string\""
    "},\"type\":\"array\"},\"exclude\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"},\"fieldSelector\":{\"properties\""
    ":{\"matchExpressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"v"
    "alues\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"t"
    "ype\":\"array\"}},\"type\":\"object\"},\"labelSelector\":{\"properties\":{\"matchExpressions\":{\"items\":{\"propert"
    "ies\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"type"
    "\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\"matchLabels\":{\"additiona"
    "lProperties\":{\"type\":\"string\"},\"type\":\"object\"}},\"type\":\"object\"}},\"type\":\"object\"},\"clusterTolerati"
    "ons\":{\"items\":{\"properties\":{\"effect\":{\"type\":\"string\"},\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\""
    "string\"},\"tolerationSeconds\":{\"format\":\"int64\",\"type\":\"integer\"},\"value\":{\"type\":\"string\"}},\"type\":\""
    "object\"},\"type\":\"array\"},\"replicaScheduling\":{\"properties\":{\"replicaDivisionPreference\":{\"enum\":[\"Ag"
    "gregated\",\"Weighted\"],\"type\":\"string\"},\"replicaSchedulingType\":{\"enum\":[\"Duplicated\",\"Divided\"],\"typ"
    "e\":\"string\"},\"weightPreference\":{\"properties\":{\"dynamicWeight\":{\"enum\":[\"AvailableReplicas\"],\"type\":"
    "\"string\"},\"staticWeightList\":{\"items\":{\"properties\":{\"targetCluster\":{\"properties\":{\"clusterNames\":{"
    "\"items\":{\"type\":\"string\"},\"type\":\"array\"},\"exclude\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"},\"fiel"
    "dSelector\":{\"properties\":{\"matchExpressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"string\"},\"operat"
    "or\":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"operat"
    "or\"],\"type\":\"object\"},\"type\":\"array\"}},\"type\":\"object\"},\"labelSelector\":{\"properties\":{\"matchExpress"
    "ions\":{\"items\":{\"properties\":{\"key\":{\"type\":\"string\"},\"operator\":{\"type\":\"string\"},\"values\":{\"items\""
    ":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\""
    "matchLabels\":{\"additionalProperties\":{\"type\":\"string\"},\"type\":\"object\"}},\"type\":\"object\"}},\"type\":\"o"
    "bject\"},\"weight\":{\"format\":\"int64\",\"minimum\":1,\"type\":\"integer\"}},\"required\":[\"targetCluster\",\"weigh"
    "t\"],\"type\":\"object\"},\"type\":\"array\"}},\"type\":\"object\"}},\"type\":\"object\"},\"spreadConstraints\":{\"items"
    "\":{\"properties\":{\"maxGroups\":{\"type\":\"integer\"},\"minGroups\":{\"type\":\"integer\"},\"spreadByField\":{\"enu"
    "m\":[\"cluster\",\"region\",\"zone\",\"provider\"],\"type\":\"string\"},\"spreadByLabel\":{\"type\":\"string\"}},\"type\""
    ":\"object\"},\"type\":\"array\"},\"workloadAffinity\":{\"properties\":{\"affinity\":{\"properties\":{\"groupByLabel"
    "Key\":{\"type\":\"string\"}},\"required\":[\"groupByLabelKey\"],\"type\":\"object\"},\"antiAffinity\":{\"properties\""
    ":{\"groupByLabelKey\":{\"type\":\"string\"}},\"required\":[\"groupByLabelKey\"],\"type\":\"object\"}},\"type\":\"obje"
    "ct\"}},\"type\":\"object\"},\"preemption\":{\"enum\":[\"Always\",\"Never\"],\"type\":\"string\"},\"preserveResourcesOn"
    "Deletion\":{\"type\":\"boolean\"},\"priority\":{\"format\":\"int32\",\"type\":\"integer\"},\"propagateDeps\":{\"type\":"
    "\"boolean\"},\"resourceSelectors\":{\"items\":{\"properties\":{\"apiVersion\":{\"type\":\"string\"},\"kind\":{\"type\""
    ":\"string\"},\"labelSelector\":{\"properties\":{\"matchExpressions\":{\"items\":{\"properties\":{\"key\":{\"type\":\""
    "string\"},\"operator\":{\"type\":\"string\"},\"values\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required"
    "\":[\"key\",\"operator\"],\"type\":\"object\"},\"type\":\"array\"},\"matchLabels\":{\"additionalProperties\":{\"type\":"
    "\"string\"},\"type\":\"object\"}},\"type\":\"object\"},\"name\":{\"type\":\"string\"},\"namespace\":{\"type\":\"string\"}}"
    ",\"required\":[\"apiVersion\",\"kind\"],\"type\":\"object\"},\"minItems\":1,\"type\":\"array\"},\"schedulePriority\":{"
    "\"properties\":{\"priorityClassName\":{\"type\":\"string\"},\"priorityClassSource\":{\"enum\":[\"KubePriorityClas"
    "s\"],\"type\":\"string\"}},\"required\":[\"priorityClassName\",\"priorityClassSource\"],\"type\":\"object\"},\"sched"
    "ulerName\":{\"type\":\"string\"},\"suspension\":{\"properties\":{\"dispatching\":{\"type\":\"boolean\"},\"dispatchin"
    "gOnClusters\":{\"properties\":{\"clusterNames\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"type\":\"objec"
    "t\"}},\"type\":\"object\"}},\"required\":[\"resourceSelectors\"],\"type\":\"object\"}},\"required\":[\"spec\"],\"type\""
    ":\"object\"}}"
)

SCHEMAS = json.loads(_DATA)
# ---- END GENERATED ----
