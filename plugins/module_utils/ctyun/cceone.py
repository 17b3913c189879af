# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""CCE One: registered clusters, federation instances (managed Karmada) and fleets.

CCE One has no public API description. Every path, field name and state word the collection
uses is in ``DEFAULT_TABLE`` below (with the data transfer service's paths, equally assumed),
documented in docs/cceone-api.md as assumptions to confirm against the real API. A different
API is a data change: pass ``cceone_api_overrides`` (deep-merged over the defaults) to any CCE
One module, or edit the table.
"""

from __future__ import annotations

import copy

from ..common.errors import ApiError, ValidationError
from ..common.waiter import wait_until

DEFAULT_TABLE = {
    "paths": {
        "cluster_list": ("GET", "/v1/cceone/clusters"),
        "cluster_import": ("POST", "/v1/cceone/clusters/import"),
        "cluster_describe": ("GET", "/v1/cceone/clusters/{id}"),
        "cluster_delete": ("DELETE", "/v1/cceone/clusters/{id}"),
        "federation_list": ("GET", "/v1/cceone/federations"),
        "federation_create": ("POST", "/v1/cceone/federations"),
        "federation_describe": ("GET", "/v1/cceone/federations/{id}"),
        "federation_delete": ("DELETE", "/v1/cceone/federations/{id}"),
        "federation_kubeconfig": ("GET", "/v1/cceone/federations/{id}/kubeconfig"),
        "fleet_list": ("GET", "/v1/cceone/fleets"),
        "fleet_create": ("POST", "/v1/cceone/fleets"),
        "fleet_describe": ("GET", "/v1/cceone/fleets/{id}"),
        "fleet_members": ("PUT", "/v1/cceone/fleets/{id}/members"),
        # Data transfer service (databases to RDS), just as unknown; read by dts.py. Not overridable
        # per run (data_transfer_task has no overrides option); correct them here.
        "dts_task_list": ("GET", "/v4/dts/task/list"),
        "dts_task_describe": ("GET", "/v4/dts/task/describe"),
        "dts_task_create": ("POST", "/v4/dts/task/create"),
        "dts_task_start": ("POST", "/v4/dts/task/start"),
    },
    "fields": {
        "records": "records", "name_query": "name",
        "cluster_id": "clusterId", "cluster_name": "clusterName", "cluster_type": "clusterType",
        "kubeconfig": "kubeconfig", "cce_cluster_id": "cceClusterId", "status": "status",
        "federation_id": "federationId", "federation_name": "federationName", "version": "karmadaVersion",
        "fleet_id": "fleetId", "fleet_name": "fleetName", "members": "members", "member_ids": "clusterIds",
        "member_name": "memberName", "member_state": "state", "message": "message",
    },
    "types": {"external": "External", "cce": "CCE"},
    "states": {
        "connected": ["connected"], "pending": ["pending", "joining", "importing"], "failed": ["failed", "error"],
        "running": ["running"], "creating": ["creating"], "deleting": ["deleting", "releasing"],
    },
}


def table(overrides=None):
    """The table with ``overrides`` deep-merged over the defaults."""
    out = copy.deepcopy(DEFAULT_TABLE)

    def merge(dst, src, path):
        for key, value in (src or {}).items():
            if isinstance(value, dict) and isinstance(dst.get(key), dict):
                merge(dst[key], value, path + [key])
            else:
                if path == ["paths"] and not (isinstance(value, (list, tuple)) and len(value) == 2):
                    raise ValidationError("cceone_api_overrides.paths.%s must be [METHOD, PATH]" % key)
                dst[key] = tuple(value) if path == ["paths"] else value
    merge(out, overrides or {}, [])
    return out


class CceOne(object):
    """CCE One calls over a :class:`~.client.CtyunClient`, with names from the table."""

    def __init__(self, client, overrides=None):
        self.client = client
        self.t = table(overrides)
        self.f = self.t["fields"]

    def _call(self, name, obj_id=None, query=None, body=None):
        method, path = self.t["paths"][name]
        return self.client.call(method, path.replace("{id}", "%s" % obj_id) if obj_id else path, query=query,
                                body=body)

    def _records(self, answer):
        if isinstance(answer, list):
            return answer
        return (answer or {}).get(self.f["records"]) or []

    def is_state(self, value, word):
        return ("%s" % value).lower() in [s.lower() for s in self.t["states"][word]]

    # -- registered clusters ------------------------------------------------------
    def find_cluster(self, name):
        found = [c for c in self._records(self._call("cluster_list", query={self.f["name_query"]: name}))
                 if c.get(self.f["cluster_name"]) == name]
        if len(found) > 1:
            raise ApiError("More than one registered cluster is named %r" % name)
        return found[0] if found else None

    def list_clusters(self):
        return self._records(self._call("cluster_list"))

    def import_cluster(self, name, kind, kubeconfig=None, cce_cluster_id=None):
        body = {self.f["cluster_name"]: name, self.f["cluster_type"]: self.t["types"][kind]}
        if kind == "external":
            body[self.f["kubeconfig"]] = kubeconfig
        else:
            body[self.f["cce_cluster_id"]] = cce_cluster_id
        method, path = self.t["paths"]["cluster_import"]
        answer, existing = self.client.create(path, body, lookup=lambda: self.find_cluster(name))
        return existing or self.find_cluster(name) or answer

    def describe_cluster(self, cluster_id):
        return self._call("cluster_describe", cluster_id)

    def delete_cluster(self, cluster_id):
        return self._call("cluster_delete", cluster_id)

    # -- federation instances -------------------------------------------------------
    def find_federation(self, name):
        found = [x for x in self._records(self._call("federation_list", query={self.f["name_query"]: name}))
                 if x.get(self.f["federation_name"]) == name]
        return found[0] if found else None

    def create_federation(self, name):
        method, path = self.t["paths"]["federation_create"]
        answer, existing = self.client.create(path, {self.f["federation_name"]: name},
                                              lookup=lambda: self.find_federation(name))
        return existing or self.find_federation(name) or answer

    def describe_federation(self, federation_id):
        return self._call("federation_describe", federation_id)

    def delete_federation(self, federation_id):
        return self._call("federation_delete", federation_id)

    def federation_kubeconfig(self, federation_id):
        answer = self._call("federation_kubeconfig", federation_id)
        return answer.get(self.f["kubeconfig"]) if isinstance(answer, dict) else answer

    # -- fleets -------------------------------------------------------------------------
    def list_fleets(self):
        return self._records(self._call("fleet_list"))

    def find_fleet(self, name):
        found = [x for x in self.list_fleets() if x.get(self.f["fleet_name"]) == name]
        return found[0] if found else None

    def create_fleet(self, name, federation_id):
        method, path = self.t["paths"]["fleet_create"]
        answer, existing = self.client.create(
            path, {self.f["fleet_name"]: name, self.f["federation_id"]: federation_id},
            lookup=lambda: self.find_fleet(name))
        return existing or self.find_fleet(name) or answer

    def describe_fleet(self, fleet_id):
        return self._call("fleet_describe", fleet_id)

    def set_members(self, fleet_id, cluster_ids):
        return self._call("fleet_members", fleet_id, body={self.f["member_ids"]: sorted(cluster_ids)})

    # -- waits ----------------------------------------------------------------------------
    def wait_cluster_connected(self, cluster_id, name, timeout, sleep=2):
        def check():
            obj = self.describe_cluster(cluster_id)
            status = obj.get(self.f["status"])
            if self.is_state(status, "failed"):
                raise ApiError("Registered cluster %s failed: %s" % (name, obj.get(self.f["message"]) or status))
            return self.is_state(status, "connected"), "cluster %s is %s" % (name, status)
        return wait_until(check, timeout, "registered cluster %s to be connected" % name, sleep=sleep)

    def wait_federation_running(self, federation_id, name, timeout, sleep=2):
        def check():
            obj = self.describe_federation(federation_id)
            status = obj.get(self.f["status"])
            if self.is_state(status, "failed"):
                raise ApiError("Federation instance %s failed: %s" % (name, obj.get(self.f["message"]) or status))
            return self.is_state(status, "running"), "federation instance %s is %s" % (name, status)
        return wait_until(check, timeout, "federation instance %s to be running" % name, sleep=sleep)
