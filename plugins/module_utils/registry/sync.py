# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Copy images registry to registry: plan (read only), then copy, then verify.

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

from ..common.errors import CceMigrationError, NotFoundError
from .client import DigestMismatch, RegistryError

DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024
DEFAULT_CHUNK_THRESHOLD = 32 * 1024 * 1024
BLOB_ATTEMPTS = 3


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
                 chunk_threshold=DEFAULT_CHUNK_THRESHOLD, verify_blobs=True, blob_attempts=BLOB_ATTEMPTS,
                 retry_sleep=1.0):
        self.clients = clients
        self.concurrency = max(1, int(concurrency))
        self.chunk_size = max(1024, int(chunk_size))
        self.chunk_threshold = max(0, int(chunk_threshold))
        self.verify_blobs = verify_blobs
        self.blob_attempts = max(1, int(blob_attempts))
        self.retry_sleep = retry_sleep
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
        except requests.RequestException as exc:
            plan.error = "%s: %s" % (type(exc).__name__, exc)
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
        except requests.RequestException as exc:
            out["outcome"] = "failed"
            out["msg"] = "%s -> %s: %s: %s (target tag not written)" % (
                pair.source, pair.target, type(exc).__name__, exc)
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
            last = None
            for attempt in range(self.blob_attempts):
                if attempt:
                    time.sleep(self.retry_sleep * attempt)
                    location = None
                try:
                    self._upload(plan, blob, src, dst, location)
                    self._remember(plan, [blob.digest])
                    return "uploaded", blob.size
                except DigestMismatch:
                    raise
                except (RegistryError, requests.RequestException) as exc:
                    last = exc
                    status = getattr(exc, "status", None)
                    if status in (400, 401, 403, 404, 405):
                        raise
                    # A lost answer to the final PUT may hide a finished upload.
                    try:
                        if dst.blob_size(repo, blob.digest, scopes=dst.push(repo)) is not None:
                            self._remember(plan, [blob.digest])
                            return "uploaded", blob.size
                    except (RegistryError, requests.RequestException):
                        pass
            raise last

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
