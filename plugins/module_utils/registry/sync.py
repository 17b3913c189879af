# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The ``image_sync`` module's work: validate and contact the registries, plan (read only),
copy, verify.

Order of writes for one image, so a tag never points at something incomplete:

1. every blob (config and layers) of every image manifest: skipped when the target has it
   (``HEAD``), mounted from another repository of the target registry when possible, else
   uploaded (monolithic below ``chunk_threshold``, chunked ``PATCH`` above), streamed from the
   source and hashed on the way (sha256 must equal the descriptor's digest before the upload is
   committed);
2. the child manifests of an index, by digest;
3. the top manifest, by tag (or by digest for a digest-only reference) - the only write that
   makes the image visible under its name;
4. verification: ``HEAD`` of the target tag and of every child must answer the source digests.

A blob upload that fails without a final answer (no answer, 429, 5xx) is retried whole by the
collection's policy (``common.retry.create_with_lookup``): first a ``HEAD`` of the blob on the
target (a lost answer to the final PUT may hide a finished upload), then a new upload only when
it is absent, at most the policy's attempts with its backoff.
"""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

try:
    import requests
except ImportError:  # pragma: no cover
    requests = None

from ..common.errors import CceMigrationError, NotFoundError, ValidationError
from ..common.retry import DEFAULT_POLICY, create_with_lookup
from . import reference
from .client import DigestMismatch, RegistryClient, RegistryError, RegistryTransportError

DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024
DEFAULT_CHUNK_THRESHOLD = 32 * 1024 * 1024


class BlobPlan(object):
    __slots__ = ("digest", "size", "media_type", "present")

    def __init__(self, digest, size, media_type, present=None):
        self.digest = digest
        self.size = size
        self.media_type = media_type
        self.present = present


class ImagePlan(object):
    """What one image needs; filled by :meth:`Syncer.plan` with reads only."""

    def __init__(self, pair):
        self.pair = pair
        self.manifest = None          # top manifest
        self.children = []            # [(descriptor, Manifest)] for an index
        self.blobs = []               # [BlobPlan] unique by digest, in manifest order
        self.target_digest = None     # digest under the target ref before the run
        self.missing_children = []    # child digests absent on the target
        self.error = None

    @property
    def up_to_date(self):
        return self.manifest is not None and self.target_digest == self.manifest.digest

    def missing_blobs(self):
        return [b for b in self.blobs if not b.present]

    def result(self):
        pair = self.pair
        out = dict(source=str(pair.source), target=str(pair.target), digest=None, media_type=None,
                   outcome="failed" if self.error else None, bytes=0, bytes_total=0, blobs_total=len(self.blobs),
                   blobs_skipped=0, blobs_mounted=0, blobs_uploaded=0, manifests_pushed=0, platforms=[],
                   target_digest_before=self.target_digest)
        if self.manifest is not None:
            out["digest"] = self.manifest.digest
            out["media_type"] = self.manifest.media_type
            out["bytes_total"] = sum(b.size for b in self.blobs)
        for desc, child in self.children:
            platform = desc.get("platform") or {}
            name = "/".join(p for p in (platform.get("os"), platform.get("architecture"), platform.get("variant"))
                            if p)
            out["platforms"].append(dict(digest=child.digest, platform=name or None))
        if self.error:
            out["msg"] = self.error
        return out


class Syncer(object):
    """Plans and copies a list of :class:`~.reference.ImagePair` with bounded concurrency.

    ``clients`` is a callable ``(side, host) -> RegistryClient`` (side ``source`` or ``target``).
    """

    def __init__(self, clients, concurrency=4, chunk_size=DEFAULT_CHUNK_SIZE,
                 chunk_threshold=DEFAULT_CHUNK_THRESHOLD, verify_blobs=True, sleeper=time.sleep):
        self.clients = clients
        self.concurrency = max(1, int(concurrency))
        self.chunk_size = max(1024, int(chunk_size))
        self.chunk_threshold = max(0, int(chunk_threshold))
        self.verify_blobs = verify_blobs
        self.sleeper = sleeper
        self._known = {}               # (target base url, digest) -> target repository holding it
        self._known_lock = threading.Lock()
        self._blob_locks = {}
        self._blob_pool = None

    # -- planning (reads only) ----------------------------------------------------------
    def plan(self, pairs):
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(self._plan_one, pairs))

    def _plan_one(self, pair):
        plan = ImagePlan(pair)
        src = self.clients("source", pair.source.host)
        dst = self.clients("target", pair.target.host)
        try:
            plan.manifest = src.get_manifest(pair.source.path, pair.source.ref)
            seen = {}
            if plan.manifest.is_index:
                for desc in plan.manifest.children():
                    child = src.get_manifest(pair.source.path, desc["digest"])
                    if child.is_index:
                        raise RegistryError("%s: nested index %s is not supported" % (pair.source, desc["digest"]))
                    plan.children.append((desc, child))
                    for blob in child.blobs():
                        seen.setdefault(blob["digest"], BlobPlan(blob["digest"], int(blob.get("size") or 0),
                                                                 blob.get("mediaType")))
            else:
                for blob in plan.manifest.blobs():
                    seen.setdefault(blob["digest"], BlobPlan(blob["digest"], int(blob.get("size") or 0),
                                                             blob.get("mediaType")))
            plan.blobs = list(seen.values())
            plan.target_digest = dst.manifest_digest(pair.target.path, pair.target.ref,
                                                     scopes=dst.push(pair.target.path))
            if not plan.up_to_date or self.verify_blobs:
                for blob in plan.blobs:
                    size = dst.blob_size(pair.target.path, blob.digest, scopes=dst.push(pair.target.path))
                    blob.present = size is not None and (size < 0 or size == blob.size)
                for _desc, child in plan.children:
                    if dst.manifest_digest(pair.target.path, child.digest,
                                           scopes=dst.push(pair.target.path)) is None:
                        plan.missing_children.append(child.digest)
            else:
                for blob in plan.blobs:
                    blob.present = True
        except NotFoundError as exc:
            plan.error = "%s not found on the source registry (%s)" % (pair.source, exc.msg)
        except CceMigrationError as exc:
            plan.error = exc.msg
        except (ValueError, KeyError, TypeError) as exc:
            plan.error = "%s: malformed manifest (%s: %s)" % (pair.source, type(exc).__name__, exc)
        return plan

    @staticmethod
    def would_change(plan):
        return plan.error is None and (not plan.up_to_date or bool(plan.missing_blobs())
                                       or bool(plan.missing_children))

    def preview(self, plan):
        """Result of check mode: what would be copied."""
        out = plan.result()
        if plan.error:
            return out
        missing = plan.missing_blobs()
        if self.would_change(plan):
            out["outcome"] = "copied"
            out["bytes"] = sum(b.size for b in missing)
            out["blobs_uploaded"] = len(missing)
            out["blobs_skipped"] = len(plan.blobs) - len(missing)
            out["manifests_pushed"] = (len(plan.missing_children) + (0 if plan.up_to_date else 1))
            out["would_copy"] = [b.digest for b in missing]
        else:
            out["outcome"] = "unchanged"
            out["blobs_skipped"] = len(plan.blobs)
        return out

    # -- copy -----------------------------------------------------------------------------
    def execute(self, plans):
        self._blob_pool = ThreadPoolExecutor(max_workers=self.concurrency)
        try:
            with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
                return list(pool.map(self._copy_one, plans))
        finally:
            self._blob_pool.shutdown(wait=True)
            self._blob_pool = None

    def _copy_one(self, plan):
        out = plan.result()
        if plan.error:
            return out
        if not self.would_change(plan):
            out["outcome"] = "unchanged"
            out["blobs_skipped"] = len(plan.blobs)
            self._remember(plan, [b.digest for b in plan.blobs])
            return out
        pair = plan.pair
        src = self.clients("source", pair.source.host)
        dst = self.clients("target", pair.target.host)
        try:
            futures = [(blob, self._blob_pool.submit(self._copy_blob, plan, blob, src, dst)) for blob in plan.blobs]
            errors = []
            for blob, future in futures:
                try:
                    how, moved = future.result()
                except Exception as exc:  # pylint: disable=broad-except
                    errors.append("blob %s: %s" % (blob.digest, getattr(exc, "msg", None) or exc))
                    continue
                out["blobs_" + how] += 1
                out["bytes"] += moved
            if errors:
                raise RegistryError("%s -> %s: %d blob(s) failed, target tag not written: %s" % (
                    pair.source, pair.target, len(errors), "; ".join(errors)))
            for _desc, child in plan.children:
                if plan.up_to_date and child.digest not in plan.missing_children:
                    continue
                dst.put_manifest(pair.target.path, child.digest, child)
                out["manifests_pushed"] += 1
            if not plan.up_to_date:
                dst.put_manifest(pair.target.path, pair.target.ref, plan.manifest)
                out["manifests_pushed"] += 1
            self._verify(plan, dst)
            out["outcome"] = "copied"
        except CceMigrationError as exc:
            out["outcome"] = "failed"
            out["msg"] = exc.msg
        except Exception as exc:  # pylint: disable=broad-except
            # One image's surprise must not hide the results of the others.
            out["outcome"] = "failed"
            out["msg"] = "%s -> %s: unexpected %s: %s" % (pair.source, pair.target, type(exc).__name__, exc)
        return out

    def _verify(self, plan, dst):
        pair = plan.pair
        got = dst.manifest_digest(pair.target.path, pair.target.ref, scopes=dst.push(pair.target.path))
        if got != plan.manifest.digest:
            raise DigestMismatch("%s: after the copy the target answers digest %s, the source is %s" % (
                pair.target, got, plan.manifest.digest))
        for _desc, child in plan.children:
            got = dst.manifest_digest(pair.target.path, child.digest, scopes=dst.push(pair.target.path))
            if got != child.digest:
                raise DigestMismatch("%s: child manifest %s missing on the target after the copy" % (
                    pair.target, child.digest))
        self._remember(plan, [b.digest for b in plan.blobs])

    def _remember(self, plan, digests):
        dst = self.clients("target", plan.pair.target.host)
        with self._known_lock:
            for digest in digests:
                self._known.setdefault((dst.base_url, digest), plan.pair.target.path)

    def _blob_lock(self, key):
        with self._known_lock:
            return self._blob_locks.setdefault(key, threading.Lock())

    def _mount_candidates(self, plan, blob, src, dst):
        pair = plan.pair
        out = []
        if pair.mount_from:
            out.append(pair.mount_from)
        if src.base_url == dst.base_url and pair.source.path != pair.target.path:
            out.append(pair.source.path)
        with self._known_lock:
            known = self._known.get((dst.base_url, blob.digest))
        if known and known != pair.target.path:
            out.append(known)
        seen = []
        for repo in out:
            if repo not in seen:
                seen.append(repo)
        return seen

    def _copy_blob(self, plan, blob, src, dst):
        """Returns ``(how, bytes moved)`` with how in skipped / mounted / uploaded."""
        pair = plan.pair
        repo = pair.target.path
        # Two images of one run sharing a blob in one repository: upload it once.
        with self._blob_lock((dst.base_url, repo, blob.digest)):
            if blob.present:
                return "skipped", 0
            size = dst.blob_size(repo, blob.digest, scopes=dst.push(repo))
            if size is not None:
                return "skipped", 0
            location = None
            for from_repo in self._mount_candidates(plan, blob, src, dst):
                try:
                    mounted, location = dst.mount_blob(repo, blob.digest, from_repo)
                except RegistryError:
                    location = None
                    continue
                if mounted:
                    self._remember(plan, [blob.digest])
                    return "mounted", 0
                break
            pending = [location]

            def upload():
                # A mount that answered with an upload URL is used once; a retry starts afresh.
                self._upload(plan, blob, src, dst, pending.pop() if pending else None)
                return blob.size

            def arrived():
                return dst.blob_size(repo, blob.digest, scopes=dst.push(repo))

            create_with_lookup(upload, arrived, policy=dst.policy, sleeper=self.sleeper,
                               what="upload of %s to %s" % (blob.digest, pair.target))
            self._remember(plan, [blob.digest])
            return "uploaded", blob.size

    def _upload(self, plan, blob, src, dst, location):
        pair = plan.pair
        repo = pair.target.path
        if location is None:
            location = dst.start_upload(repo)
        resp = src.open_blob(pair.source.path, blob.digest)
        hasher = hashlib.sha256()
        received = 0
        try:
            if blob.size <= self.chunk_threshold:
                parts = []
                for piece in resp.iter_content(chunk_size=65536):
                    received += len(piece)
                    if received > self.chunk_threshold + 1 and received > blob.size:
                        raise DigestMismatch("source blob %s is larger than its descriptor (%d bytes)" % (
                            blob.digest, blob.size))
                    hasher.update(piece)
                    parts.append(piece)
                self._check(blob, hasher, received)
                dst.finish_upload(repo, location, blob.digest, b"".join(parts))
            else:
                offset = 0
                buf = bytearray()
                for piece in resp.iter_content(chunk_size=min(self.chunk_size, 1024 * 1024)):
                    hasher.update(piece)
                    received += len(piece)
                    buf.extend(piece)
                    while len(buf) >= self.chunk_size:
                        data = bytes(buf[:self.chunk_size])
                        del buf[:self.chunk_size]
                        location = dst.upload_chunk(repo, location, data, offset)
                        offset += len(data)
                if buf:
                    location = dst.upload_chunk(repo, location, bytes(buf), offset)
                    offset += len(buf)
                self._check(blob, hasher, received)
                dst.finish_upload(repo, location, blob.digest)
        except DigestMismatch:
            dst.cancel_upload(repo, location)
            raise
        except requests.RequestException as exc:
            # The source stream broke off (iter_content); nothing was committed on the target.
            raise RegistryTransportError("source registry GET %s: the blob stream broke off (%s: %s)"
                                         % (blob.digest, type(exc).__name__, str(exc)[:200]))
        finally:
            resp.close()

    @staticmethod
    def _check(blob, hasher, received):
        digest = "sha256:" + hasher.hexdigest()
        if digest != blob.digest:
            raise DigestMismatch("source blob %s: the bytes read hash to %s; upload cancelled" % (blob.digest, digest))
        if blob.size and received != blob.size:
            raise DigestMismatch("source blob %s: %d bytes read, descriptor says %d" % (blob.digest, received,
                                                                                        blob.size))


class ClientPool(object):
    """One :class:`RegistryClient` per (side, base URL); validates the registry options up front."""

    def __init__(self, source_opts, target_opts, timeout=60, pool_size=8, policy=None):
        self.opts = dict(source=source_opts or {}, target=target_opts or {})
        self.timeout = timeout
        self.pool_size = pool_size
        self.policy = policy or DEFAULT_POLICY
        self._clients = {}
        self._lock = threading.Lock()
        self.urls = {}
        for side in ("source", "target"):
            opts = self.opts[side]
            self.urls[side] = reference.normalise_url(opts.get("url"), "%s_registry.url" % side)
            if opts.get("password") and not opts.get("username"):
                raise ValidationError("%s_registry: password given without username" % side,
                                      field="%s_registry.username" % side)
            if opts.get("username") and opts.get("password") is None:
                raise ValidationError("%s_registry: username %r given without password" % (side, opts["username"]),
                                      field="%s_registry.password" % side)

    def host(self, side):
        return reference.host_of_url(self.urls[side])

    def configured(self, side, host):
        """Whether ``host`` is the registry of ``<side>_registry.url`` (or no url was given)."""
        return not self.urls[side] or host is None or host == self.host(side)

    def base_url(self, side, host):
        if self.urls[side] and self.configured(side, host):
            return self.urls[side]
        return reference.url_for_host(host)

    def __call__(self, side, host):
        base = self.base_url(side, host)
        mine = self.configured(side, host)
        key = (side, base)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                opts = self.opts[side]
                # Credentials and the CA go only to the registry they were given for: a reference naming
                # another host (docker.io in an assessment list, say) is read anonymously from that host.
                client = RegistryClient(base, username=opts.get("username") if mine else None,
                                        password=opts.get("password") if mine else None,
                                        validate_certs=opts.get("validate_certs", True),
                                        ca_path=opts.get("ca_path") if mine else None,
                                        timeout=self.timeout, pool_size=self.pool_size, policy=self.policy,
                                        label="%s registry" % side)
                self._clients[key] = client
            return client

    def all(self):
        with self._lock:
            return sorted(self._clients.items())

    def close(self):
        for _key, client in self.all():
            client.close()


def check_access(client, side, base):
    """``GET /v2/`` with a message naming the option to fix for TLS and connection failures."""
    try:
        return client.check_access()
    except RegistryTransportError as exc:
        if exc.details.get("tls"):
            raise ValidationError(
                "%s registry %s: TLS certificate verification failed (%s); set %s_registry.ca_path to the CA "
                "that signed the registry's certificate" % (side, base, _reason(exc), side),
                field="%s_registry" % side)
        raise ValidationError("%s registry %s cannot be reached (%s); check %s_registry.url" % (
            side, base, _reason(exc), side), field="%s_registry.url" % side)


def _reason(exc):
    text = str(exc)
    for marker in ("CERTIFICATE_VERIFY_FAILED", "Connection refused", "Name or service not known", "timed out"):
        if marker in text:
            start = text.find(marker)
            return text[start:start + 120].split(")", maxsplit=1)[0]
    return text[:200]


def run_image_sync(params, check_mode=False, policy=None):
    """Returns the module result (``results``, ``bytes``, ``registry_map``...).

    Raises :class:`ValidationError` / :class:`~.client.AuthError` before any write for bad input,
    unreachable registries or rejected credentials.
    """
    concurrency = int(params.get("concurrency") or 4)
    if policy is None:
        retries = params.get("retries")
        policy = DEFAULT_POLICY if retries is None else DEFAULT_POLICY.replace(attempts=max(0, int(retries)) + 1)
    pool = ClientPool(params.get("source_registry"), params.get("target_registry"),
                      timeout=int(params.get("timeout") or 60), pool_size=concurrency * 2, policy=policy)
    try:
        pairs = reference.resolve_images(params.get("images"), pool.host("source"), pool.host("target"),
                                         params.get("repository_map"))
        # Contact every registry once before any write: the API answers and the credentials work.
        for pair in pairs:
            pool("source", pair.source.host)
            pool("target", pair.target.host)
        for (side, base), client in pool.all():
            how = check_access(client, side, base)
            if side == "target" and how == "bearer-anonymous":
                # Anonymous tokens may pull; nobody hands out anonymous push rights. Fail before writing.
                raise ValidationError(
                    "target registry %s requires authentication (token service %s): set username and password "
                    "of the target registry" % (base, client.token_realm),
                    field="target_registry.username")
        syncer = Syncer(pool, concurrency=concurrency,
                        chunk_size=params.get("chunk_size") or 8 * 1024 * 1024,
                        chunk_threshold=params.get("chunk_threshold") if params.get("chunk_threshold") is not None
                        else 32 * 1024 * 1024,
                        verify_blobs=params.get("verify_blobs", True))
        plans = syncer.plan(pairs)
        if check_mode:
            results = [syncer.preview(p) for p in plans]
        else:
            results = syncer.execute(plans)
        rmap = reference.registry_map(pairs)
        return dict(
            results=results,
            bytes=sum(r.get("bytes") or 0 for r in results),
            registry_map=rmap,
            registry_map_dict=dict((e["from"], e["to"]) for e in rmap),
            requests=sum(c.requests for _k, c in pool.all()),
        )
    finally:
        pool.close()
