# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Image references, repository mapping and the registry map (pure, no network).

A reference is ``[host[:port]/]path[:tag][@sha256:<hex>]`` with the grammar of the
Distribution project's ``reference`` package: the first path component is a host when
it contains ``.`` or ``:`` or is ``localhost``; path components are lower case
alphanumerics separated by ``.``, ``_``, ``__`` or dashes; a tag is at most 128 word
characters, dots and dashes; a reference without tag and digest means ``latest``.
"""

from __future__ import annotations

import re

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover
    from urlparse import urlsplit

from ..common.errors import ValidationError

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_HOST = re.compile(r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
                   r"(?::[0-9]+)?$|^\[[0-9a-fA-F:.]+\](?::[0-9]+)?$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
_ANY_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
DEFAULT_TAG = "latest"
DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
DOCKER_HUB_HOSTS = (DOCKER_HUB, DOCKER_HUB_API, "index.docker.io")


def looks_like_host(component):
    return "." in component or ":" in component or component == "localhost"


class Reference(object):
    """A parsed image reference. ``host`` may be ``None`` when the text named no registry."""

    __slots__ = ("host", "path", "tag", "digest")

    def __init__(self, host, path, tag=None, digest=None):
        self.host = host
        self.path = path
        self.tag = tag
        self.digest = digest

    @property
    def name(self):
        """``host/path`` (or just ``path`` without host)."""
        return "%s/%s" % (self.host, self.path) if self.host else self.path

    @property
    def ref(self):
        """What to ask the registry for: the digest when pinned, else the tag."""
        return self.digest or self.tag or DEFAULT_TAG

    def with_host(self, host):
        return Reference(host, self.path, self.tag, self.digest)

    def __str__(self):
        text = self.name
        if self.tag:
            text += ":" + self.tag
        if self.digest:
            text += "@" + self.digest
        return text

    def __repr__(self):
        return "Reference(%r)" % str(self)

    def __eq__(self, other):
        return isinstance(other, Reference) and str(self) == str(other)

    def __hash__(self):
        return hash(str(self))


def split_name(text, field="image"):
    """Split ``[host/]path`` into ``(host, path)``, validating each part."""
    if not text or not isinstance(text, str):
        raise ValidationError("%s: an image name must be a non-empty string, got %r" % (field, text), field=field)
    parts = text.split("/")
    host = None
    if len(parts) > 1 and looks_like_host(parts[0]):
        host = parts.pop(0)
        if not _HOST.match(host):
            raise ValidationError("%s: %r is not a valid registry host[:port] in %r" % (field, host, text), field=field)
    if not parts or not all(parts):
        raise ValidationError("%s: %r has an empty path component" % (field, text), field=field)
    for comp in parts:
        if not _COMPONENT.match(comp):
            raise ValidationError(
                "%s: repository component %r of %r is invalid (lower case letters, digits and single "
                "'.', '_', '__' or dashes between them)" % (field, comp, text), field=field)
    path = "/".join(parts)
    if len(path) > 255:
        raise ValidationError("%s: repository name %r is longer than 255 characters" % (field, path), field=field)
    return host, path


def parse(text, field="image", default_tag=True):
    """Parse an image reference. Raises :class:`ValidationError` naming ``field``."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("%s: an image reference must be a non-empty string, got %r" % (field, text), field=field)
    text = text.strip()
    digest = None
    if "@" in text:
        text, digest = text.rsplit("@", 1)
        if not _DIGEST.match(digest):
            if _ANY_DIGEST.match(digest) and not digest.startswith("sha256:"):
                raise ValidationError("%s: only sha256 digests are supported, got %r" % (field, digest), field=field)
            raise ValidationError("%s: %r is not a valid digest (expected sha256:<64 hex>)" % (field, digest),
                                  field=field)
    tag = None
    last = text.rsplit("/", 1)[-1]
    if ":" in last:
        text, tag = text.rsplit(":", 1)
        if not _TAG.match(tag):
            raise ValidationError("%s: %r is not a valid tag (word characters, '.' and '-', at most 128)" % (
                field, tag), field=field)
    host, path = split_name(text, field)
    if tag is None and digest is None and default_tag:
        tag = DEFAULT_TAG
    return Reference(host, path, tag, digest)


def host_of_url(url):
    """``host[:port]`` of a registry URL (``https://`` assumed when no scheme is given)."""
    if not url:
        return None
    if "://" not in url:
        url = "https://" + url
    return urlsplit(url).netloc or None


def normalise_url(url, field):
    if not url:
        return None
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError("%s: %r is not an http(s) URL of a registry" % (field, url), field=field)
    return "%s://%s%s" % (parts.scheme, parts.netloc, parts.path.rstrip("/"))


def url_for_host(host):
    if host == DOCKER_HUB:
        return "https://" + DOCKER_HUB_API
    return "https://" + host


# -- repository map -------------------------------------------------------------

def normalise_map(value, field="repository_map"):
    """A dict ``{from: to}`` or a list of ``{from, to}`` into a list of ``(from, to)``,
    longest ``from`` first so the most specific prefix wins."""
    if value is None:
        return []
    pairs = []
    if isinstance(value, dict):
        items = sorted(value.items())
    elif isinstance(value, list):
        items = []
        for i, entry in enumerate(value):
            if not isinstance(entry, dict) or "from" not in entry or "to" not in entry:
                raise ValidationError("%s[%d]: each entry must be a dict with 'from' and 'to', got %r" % (
                    field, i, entry), field=field)
            items.append((entry["from"], entry["to"]))
    else:
        raise ValidationError("%s: must be a dict {source prefix: target prefix} or a list of {from, to}" % field,
                              field=field)
    for src, dst in items:
        for what, prefix in (("from", src), ("to", dst)):
            if not isinstance(prefix, str) or not prefix.strip("/"):
                raise ValidationError("%s: %s prefix must be a non-empty string, got %r" % (field, what, prefix),
                                      field=field)
            _validate_prefix(prefix.strip("/"), "%s %s %r" % (field, what, prefix))
        pairs.append((src.strip("/"), dst.strip("/")))
    seen = set()
    for src, _dst in pairs:
        if src in seen:
            raise ValidationError("%s: prefix %r is mapped twice" % (field, src), field=field)
        seen.add(src)
    return sorted(pairs, key=lambda p: (-len(p[0]), p[0]))


def _validate_prefix(prefix, field):
    parts = prefix.split("/")
    if looks_like_host(parts[0]):
        if not _HOST.match(parts[0]):
            raise ValidationError("%s: %r is not a valid registry host" % (field, parts[0]), field=field)
        parts = parts[1:]
    for comp in parts:
        if not _COMPONENT.match(comp):
            raise ValidationError("%s: component %r is invalid" % (field, comp), field=field)


def map_name(name, pairs):
    """Rewrite ``name`` (``host/path``) with the first matching prefix. Returns ``(new, (from, to))`` or
    ``(None, None)``. A prefix matches whole components only (``shop`` does not match ``shopping``)."""
    for src, dst in pairs:
        if name == src or name.startswith(src + "/"):
            return dst + name[len(src):], (src, dst)
    return None, None


class ImagePair(object):
    """One image to copy: where it comes from, where it goes, and which map rule decided."""

    __slots__ = ("index", "source", "target", "rule", "mount_from")

    def __init__(self, index, source, target, rule, mount_from=None):
        self.index = index
        self.source = source
        self.target = target
        self.rule = rule
        self.mount_from = mount_from

    def __repr__(self):
        return "ImagePair(%s -> %s)" % (self.source, self.target)


def resolve_images(images, source_host, target_host, repository_map=None):
    """Turn the ``images`` option into :class:`ImagePair` objects, validating everything.

    ``source_host``/``target_host`` are the hosts of the configured registry URLs (or ``None``).
    An image is a reference string or a dict ``{source, target, mount_from}``.
    """
    if not isinstance(images, list) or not images:
        raise ValidationError("images: give a non-empty list of image references or {source, target} dicts",
                              field="images")
    pairs = normalise_map(repository_map)
    out = []
    seen_targets = {}
    for i, item in enumerate(images):
        field = "images[%d]" % i
        explicit_target = None
        mount_from = None
        if isinstance(item, dict):
            unknown = sorted(set(item) - set(("source", "target", "mount_from")))
            if unknown:
                raise ValidationError("%s: unknown key(s) %s; allowed: source, target, mount_from" % (
                    field, ", ".join(unknown)), field=field)
            if not item.get("source"):
                raise ValidationError("%s: a dict entry needs 'source'" % field, field=field)
            src_text = item["source"]
            explicit_target = item.get("target")
            mount_from = item.get("mount_from")
            if mount_from is not None:
                split_name(mount_from, field + ".mount_from")
        else:
            src_text = item
        source = parse(src_text, field + ".source" if isinstance(item, dict) else field)
        if source.host is None:
            if not source_host:
                raise ValidationError(
                    "%s: %r names no registry host; write the host in the reference or set source_registry.url"
                    % (field, src_text), field=field)
            source = source.with_host(source_host)
        if source.host in DOCKER_HUB_HOSTS and "/" not in source.path:
            source = Reference(source.host, "library/" + source.path, source.tag, source.digest)
        rule = None
        if explicit_target:
            target = parse(explicit_target, field + ".target", default_tag=False)
            if target.tag is None and target.digest is None:
                target.tag = source.tag
                target.digest = source.digest if not source.tag else None
            if target.digest and source.digest and target.digest != source.digest:
                raise ValidationError("%s: target digest %s differs from the source digest %s; a copy keeps digests"
                                      % (field, target.digest, source.digest), field=field)
            if target.digest and not source.digest:
                raise ValidationError("%s: a target pinned by digest needs a source pinned by the same digest"
                                      % field, field=field)
            if target.host is None:
                if not target_host:
                    raise ValidationError("%s: target %r names no registry host; set target_registry.url" % (
                        field, explicit_target), field=field)
                target = target.with_host(target_host)
        else:
            mapped, rule = map_name(source.name, pairs)
            if mapped is None:
                if not target_host:
                    raise ValidationError(
                        "%s: no repository_map prefix matches %r and target_registry.url is not set" % (
                            field, source.name), field=field)
                mapped = "%s/%s" % (target_host, source.path)
                rule = (source.host, target_host)
            host, path = split_name(mapped, "%s (mapped by repository_map to %r)" % (field, mapped))
            if host is None:
                if not target_host:
                    raise ValidationError("%s: mapped name %r names no registry host; set target_registry.url" % (
                        field, mapped), field=field)
                host = target_host
                if rule and not looks_like_host(rule[1].split("/")[0]):
                    rule = (rule[0], "%s/%s" % (host, rule[1]))
            # A tag is carried over; a digest-only source is pushed by digest.
            target = Reference(host, path, source.tag, None if source.tag else source.digest)
        key = str(target)
        if key in seen_targets and str(out[seen_targets[key]].source) != str(source):
            raise ValidationError("%s: target %s is also the target of images[%d] (%s) with another source" % (
                field, key, seen_targets[key], out[seen_targets[key]].source), field=field)
        seen_targets.setdefault(key, len(out))
        out.append(ImagePair(i, source, target, rule, mount_from))
    return out


def registry_map(image_pairs, repository_map=None):
    """The image prefix map ``override_policy`` rewrites workloads with: a list of ``{from, to}``.

    Each map rule that was used appears once (in order of first use). Images copied with an explicit
    target contribute their repository pair (``host/path`` -> ``host/path``).
    """
    seen = []
    for pair in image_pairs:
        if pair.rule:
            entry = (pair.rule[0], pair.rule[1])
        else:
            entry = (pair.source.name, pair.target.name)
        if entry not in seen:
            seen.append(entry)
    return [dict(to=t, **{"from": f}) for f, t in seen]
