"""What a release deletes in Karmada (pure planner of shift/release.py), and the preservation wait's reads."""

from __future__ import annotations

from ansible_collections.ctyun.cce_migration.plugins.module_utils.shift import release

POLICY = {"metadata": {"name": "migration-pp", "namespace": "shop"}}


def tpl(kind, name, claimed_by=None, spec=None):
    meta = {"name": name, "namespace": "shop"}
    if claimed_by:
        meta["annotations"] = {"propagationpolicy.karmada.io/name": claimed_by,
                               "propagationpolicy.karmada.io/namespace": "shop"}
        meta["labels"] = {"propagationpolicy.karmada.io/permanent-id": "id-" + claimed_by}
    return {"kind": kind, "metadata": meta, "spec": spec or {}}


def test_release_takes_claimed_templates_and_unclaimed_dependencies_only():
    pod = {"containers": [{"name": "c", "envFrom": [{"configMapRef": {"name": "cfg"}}],
                           "env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "other-owned",
                                                                                "key": "p"}}}]}]}
    templates = {
        ("Deployment", "app"): tpl("Deployment", "app", "migration-pp", {"template": {"spec": pod}}),
        ("Service", "app"): tpl("Service", "app", "migration-pp"),
        ("ConfigMap", "cfg"): tpl("ConfigMap", "cfg"),                      # attached dependency
        ("Secret", "other-owned"): tpl("Secret", "other-owned", "someone-else"),
        ("ConfigMap", "unrelated"): tpl("ConfigMap", "unrelated"),
        ("Deployment", "theirs"): tpl("Deployment", "theirs", "someone-else"),
    }
    assert release.plan_release(POLICY, templates) == [("ConfigMap", "cfg"), ("Deployment", "app"),
                                                       ("Service", "app")]


def test_managed_marks():
    assert release.managed({"metadata": {"labels": {"karmada.io/managed": "true"}}})
    assert release.managed({"metadata": {"annotations": {"work.karmada.io/name": "x"}}})
    assert not release.managed({"metadata": {"labels": {"app": "x"}}})


class ListingKarmada(object):
    """Bindings of one namespace and Works of the two members, as lists; counts the LISTs."""

    def __init__(self, bindings, works):
        self.bindings, self.works, self.lists = bindings, works, []

    def list(self, path):
        self.lists.append(path)
        if path.endswith("/resourcebindings"):
            return self.bindings
        ns = path.split("/namespaces/")[1].split("/")[0]
        return [w for w in self.works if w["metadata"]["namespace"] == ns]


def binding(name, preserve=True):
    return {"metadata": {"name": name, "namespace": "shop"}, "spec": {"preserveResourcesOnDeletion": preserve}}


def work(name, bname, preserve=True):
    return {"metadata": {"name": name, "namespace": "karmada-es-source",
                         "annotations": {release.RB_NAME: bname, release.RB_NAMESPACE: "shop"}},
            "spec": {"preserveResourcesOnDeletion": preserve}}


def test_preservation_wait_lists_once_per_poll_whatever_the_number_of_policies():
    apps = ["app-%d" % i for i in range(50)]
    karmada = ListingKarmada([binding("%s-deployment" % a) for a in apps],
                             [work("w-%s" % a, "%s-deployment" % a, preserve=(a != "app-7")) for a in apps])
    releaser = release.Releaser(karmada, {}, dict(source="source", target="target"))
    lists = {}
    bad = []
    for a in apps:
        bad.extend(releaser.not_preserved("shop", [("Deployment", a)], lists))
    assert bad == ["work karmada-es-source/w-app-7"]
    assert len(karmada.lists) == 3   # the namespace's bindings, the Works of each member

    karmada.works[7]["spec"]["preserveResourcesOnDeletion"] = True
    karmada.bindings[3]["spec"]["preserveResourcesOnDeletion"] = False
    karmada.lists = []
    groups = [dict(key="shop/%s-pp" % a, policy={"metadata": {"name": a + "-pp", "namespace": "shop"},
                                                 "spec": {"preserveResourcesOnDeletion": True}}, app=a)
              for a in apps]
    polls = []

    def fixed(g):
        polls.append(g["app"])
        if len(polls) > len(apps):      # second poll: Karmada has caught up
            karmada.bindings[3]["spec"]["preserveResourcesOnDeletion"] = True
        return [("Deployment", g["app"])]
    releaser.wait_sleep = 0.01
    assert releaser.ensure_preserved(groups, fixed) == []
    assert len(polls) == 2 * len(apps)    # two polls
    assert len(karmada.lists) == 6        # three LISTs per poll, not three per policy
