"""Feature gates of a simulated API server: the knob ``LAB_FEATURE_GATES_<CLUSTER>`` (``SOURCE``,
``TARGET``, ``KARMADA``), read on every write, so ``POST /_lab/knobs`` changes it at run time.

Its value is what ``kube-apiserver --feature-gates`` takes: comma-separated ``Name=true|false``
(``StatefulSetStartOrdinal=false``). Gates the simulation does not know are ignored; a value Go's
``strconv.ParseBool`` would refuse leaves the gate at its default (kube-apiserver refuses to start).

Gates simulated:

- ``StatefulSetStartOrdinal`` (default on: beta from Kubernetes 1.27, GA and locked on from 1.31).
  Off, the apps/v1 StatefulSet registry strategy drops ``spec.ordinals`` on create and on update
  (PUT, PATCH, and the scale subresource) unless the stored object already has it.
"""

from __future__ import annotations

TRUE = ("1", "t", "T", "TRUE", "true", "True")
FALSE = ("0", "f", "F", "FALSE", "false", "False")
DEFAULTS = {"StatefulSetStartOrdinal": True}


def knob_name(cluster):
    return "LAB_FEATURE_GATES_%s" % cluster.upper()


def parse(text):
    """``"A=false,B=true"`` -> ``{"A": False, "B": True}`` (entries that do not parse are left out)."""
    gates = {}
    for item in (text or "").split(","):
        name, sep, value = item.strip().partition("=")
        value = value.strip()
        if not sep or not name.strip():
            continue
        if value in TRUE:
            gates[name.strip()] = True
        elif value in FALSE:
            gates[name.strip()] = False
    return gates


def enabled(lab, cluster, gate):
    return parse(lab.knob(knob_name(cluster), "")).get(gate, DEFAULTS.get(gate, True))


def statefulset_strategy(lab, cluster):
    """``PrepareForCreate`` / ``PrepareForUpdate`` of apps/v1 StatefulSets on ``cluster``: the part
    of ``dropStatefulSetDisabledFields`` behind StatefulSetStartOrdinal. Kubernetes 1.27 to 1.30,
    ``pkg/registry/apps/statefulset/strategy.go``::

        if !utilfeature.DefaultFeatureGate.Enabled(features.StatefulSetStartOrdinal) {
            if oldSS == nil || oldSS.Spec.Ordinals == nil {
                // Reset Spec.Ordinals to the default value (nil).
                newSS.Spec.Ordinals = nil
            }
        }

    ``oldSS`` is nil on create. The field is dropped silently (the write succeeds, without a
    warning); an object that already has ``spec.ordinals`` keeps whatever the update sets. From
    1.31 the gate is GA and locked on, and 1.35's strategy no longer has this branch.
    (The StatefulSet controller's own gate check, ``getStartOrdinal``, is not simulated: the
    simulated controller reads ``spec.ordinals`` as stored.)"""

    def prepare(new, old):
        if enabled(lab, cluster, "StatefulSetStartOrdinal"):
            return
        if old is not None and (old.get("spec") or {}).get("ordinals") is not None:
            return
        spec = new.get("spec")
        if isinstance(spec, dict) and "ordinals" in spec:
            # a new spec dict: the caller's may share parts with a stored object, never edited
            new["spec"] = dict((k, v) for k, v in spec.items() if k != "ordinals")

    return prepare
