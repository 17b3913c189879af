# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A client of the Distribution (OCI / Docker Registry HTTP API v2) over ``requests``.

* Authentication follows the registry's ``WWW-Authenticate`` challenge: ``Basic`` sends the
  credentials, ``Bearer realm=...,service=...,scope=...`` fetches a token from the realm (with the
  credentials when given, anonymously otherwise) per set of scopes and caches it.
* Retries follow the collection's policy (``common/retry.py``), in one place per call: reads
  (GET, HEAD) and manifest PUTs through the session's urllib3 ``Retry`` made from the policy;
  the calls of a blob upload (POST, PATCH, the final PUT) are sent once (``replay=False``,
  only a connection that was never made is tried again) and the caller retries the whole
  upload with ``create_with_lookup`` (``sync.py``), after checking whether the blob arrived.
* Failures without an answer (connection refused or reset, timeout, TLS) are raised as
  :class:`RegistryTransportError`, never as raw ``requests`` exceptions.
* Manifests are read and written as bytes, never re-serialised, so digests stay equal.
* Blobs are streamed (``stream=True``, ``iter_content``); only a chunk is ever held in memory.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading

try:
    from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit
except ImportError:  # pragma: no cover
    from urllib import quote, urlencode
    from urlparse import parse_qsl, urljoin, urlsplit, urlunsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    HAS_REQUESTS = True
except ImportError:  # pragma: no cover
    requests = None
    HTTPAdapter = object
    HAS_REQUESTS = False

from ..common.errors import ApiError, NotFoundError, TransportError, ValidationError
from ..common.retry import DEFAULT_POLICY, exception_reason as _reason

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
SCHEMA1_TYPES = ("application/vnd.docker.distribution.manifest.v1+json",
                 "application/vnd.docker.distribution.manifest.v1+prettyjws")
INDEX_TYPES = (DOCKER_LIST, OCI_INDEX)
IMAGE_TYPES = (DOCKER_MANIFEST, OCI_MANIFEST)
MANIFEST_TYPES = INDEX_TYPES + IMAGE_TYPES
ACCEPT = ", ".join(MANIFEST_TYPES)
# Layers that live outside the registry (Windows base layers); never copied.
FOREIGN_LAYER_TYPES = ("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                       "application/vnd.oci.image.layer.nondistributable.v1.tar",
                       "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                       "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd")
# Idempotent calls of this client; PUT covers manifests and the final PUT of an upload.
RETRY_METHODS = ("GET", "HEAD", "PUT")
MAX_MANIFEST_BYTES = 4 * 1024 * 1024


class RegistryError(ApiError):
    """An error answer of a registry, with the Distribution error code when there is one."""


class RegistryTransportError(RegistryError, TransportError):
    """No answer from a registry (``tls`` set when the TLS handshake failed)."""


class AuthError(RegistryError):
    """The registry refused our credentials (or demands credentials we do not have)."""


class DigestMismatch(RegistryError):
    """Bytes read or written do not hash to the expected digest."""


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


_CHALLENGE = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def parse_challenge(header):
    """``WWW-Authenticate`` -> ``(scheme, {param: value})`` (scheme lower case)."""
    if not header:
        return None, {}
    header = header.strip()
    scheme, dummy, rest = header.partition(" ")
    params = {}
    for match in _CHALLENGE.finditer(rest):
        params[match.group(1).lower()] = match.group(2) if match.group(2) is not None else match.group(3)
    return scheme.lower(), params


def add_query(url, **params):
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + sorted(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


class Manifest(object):
    """A manifest exactly as the registry served it."""

    __slots__ = ("data", "media_type", "digest")

    def __init__(self, data, media_type, digest=None):
        self.data = data
        self.media_type = media_type
        self.digest = digest or sha256_digest(data)

    @property
    def json(self):
        return json.loads(self.data.decode("utf-8"))

    @property
    def is_index(self):
        return self.media_type in INDEX_TYPES

    def children(self):
        """Descriptors of the manifests of an index (in their order)."""
        return list(self.json.get("manifests") or []) if self.is_index else []

    def blobs(self):
        """Config and layer descriptors of an image manifest (foreign layers left out)."""
        if self.is_index:
            return []
        doc = self.json
        out = []
        if doc.get("config"):
            out.append(doc["config"])
        for layer in doc.get("layers") or []:
            if layer.get("mediaType") in FOREIGN_LAYER_TYPES or layer.get("urls"):
                continue
            out.append(layer)
        return out


def transport_error(exc, label, method, url):
    """A :class:`RegistryTransportError` for a ``requests`` exception."""
    tls = isinstance(exc, requests.exceptions.SSLError)
    refused = "NewConnectionError" in repr(exc) or "ConnectionRefused" in repr(exc)
    not_sent = tls or refused or isinstance(exc, requests.exceptions.ConnectTimeout)
    return RegistryTransportError("%s %s %s: no answer (%s)" % (label, method, urlsplit(url).path, _reason(exc)),
                                  maybe_applied=not not_sent, tls=tls, refused=refused)


class RegistryClient(object):
    """One registry endpoint (``base_url``) with its credentials and TLS settings."""

    def __init__(self, base_url, username=None, password=None, validate_certs=True, ca_path=None, timeout=60,
                 pool_size=8, policy=None, label="registry", user_agent="ctyun.cce_migration image_sync"):
        if not HAS_REQUESTS:  # pragma: no cover
            raise ValidationError("the Python library 'requests' is required for image_sync")
        self.base_url = base_url.rstrip("/")
        self.label = label
        self.username = username
        self.password = password
        self.timeout = timeout
        self.policy = policy or DEFAULT_POLICY
        # Passed on every call: a REQUESTS_CA_BUNDLE in the environment would otherwise win over
        # the session's setting (requests merges environment settings into each request).
        self.verify = ca_path if (validate_certs and ca_path) else bool(validate_certs)
        self.session = self._session(self.policy.urllib3_retry(methods=RETRY_METHODS), pool_size, user_agent)
        # Upload calls: no status or read retries for any method (connect retries stay: nothing was sent).
        self.upload_session = self._session(self.policy.urllib3_retry(connect_only=True), pool_size, user_agent)
        self._lock = threading.Lock()
        self._scheme = None          # "basic" / "bearer" once the registry challenged us
        self._challenge = {}
        self._tokens = {}
        self.requests = 0

    def _session(self, retry, pool_size, user_agent):
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry, pool_connections=2, pool_maxsize=max(2, pool_size))
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.verify = self.verify
        session.headers["User-Agent"] = user_agent
        return session

    def _send(self, method, url, replay=True, **kwargs):
        """One call through the session of ``replay``; ``requests`` errors become :class:`RegistryTransportError`."""
        session = self.session if replay else self.upload_session
        try:
            resp = session.request(method, url, timeout=self.timeout, verify=self.verify, **kwargs)
        except requests.exceptions.RequestException as exc:
            raise transport_error(exc, self.label, method, url)
        finally:
            self.requests += 1
        return resp

    # -- auth ------------------------------------------------------------------------
    @property
    def token_realm(self):
        """The token service of a Bearer challenge, once seen."""
        return self._challenge.get("realm")

    @property
    def has_credentials(self):
        return bool(self.username) and self.password is not None

    def _auth_header(self, scopes):
        with self._lock:
            if self._scheme == "basic" and self.has_credentials:
                return self._basic_header()
            if self._scheme == "bearer":
                token = self._tokens.get(tuple(sorted(scopes)))
                if token:
                    return "Bearer " + token
        return None

    def _basic_header(self):
        raw = ("%s:%s" % (self.username, self.password)).encode("utf-8")
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def _handle_challenge(self, resp, scopes):
        scheme, params = parse_challenge(resp.headers.get("WWW-Authenticate"))
        if scheme == "basic":
            if not self.has_credentials:
                raise AuthError("%s %s requires authentication (Basic): set username and password of the %s"
                                % (self.label, self.base_url, self.label), status=401, code="UNAUTHORIZED")
            with self._lock:
                if self._scheme == "basic":
                    # We had already sent the credentials.
                    raise AuthError("%s %s rejected the credentials of user %r (HTTP 401)" % (
                        self.label, self.base_url, self.username), status=401, code="UNAUTHORIZED")
                self._scheme = "basic"
            return
        if scheme == "bearer":
            realm = params.get("realm")
            if not realm:
                raise AuthError("%s %s sent a Bearer challenge without realm" % (self.label, self.base_url),
                                status=401)
            with self._lock:
                self._scheme = "bearer"
                self._challenge = params
            self._fetch_token(scopes, params)
            return
        raise AuthError("%s %s answered 401 with an unsupported challenge %r" % (
            self.label, self.base_url, resp.headers.get("WWW-Authenticate")), status=401)

    def _fetch_token(self, scopes, params):
        query = [("service", params["service"])] if params.get("service") else []
        wanted = list(scopes)
        if params.get("scope"):
            for scope in params["scope"].split(" "):
                if scope and scope not in wanted:
                    wanted.append(scope)
        query += [("scope", s) for s in wanted]
        auth = (self.username, self.password) if self.has_credentials else None
        resp = self._send("GET", params["realm"], params=query, auth=auth)
        if resp.status_code in (401, 403):
            if auth:
                raise AuthError("%s %s: the token service %s rejected the credentials of user %r (HTTP %d)" % (
                    self.label, self.base_url, params["realm"], self.username, resp.status_code),
                    status=resp.status_code, code="UNAUTHORIZED")
            raise AuthError("%s %s requires authentication (token service %s): set username and password of "
                            "the %s" % (self.label, self.base_url, params["realm"], self.label),
                            status=resp.status_code, code="UNAUTHORIZED")
        if resp.status_code != 200:
            what = "%s token service %s answered HTTP %d" % (self.label, params["realm"], resp.status_code)
            raise RegistryError(what, status=resp.status_code)
        try:
            body = resp.json()
        except ValueError:
            raise RegistryError("%s token service %s did not answer JSON" % (self.label, params["realm"]))
        token = body.get("token") or body.get("access_token")
        if not token:
            raise RegistryError("%s token service %s answered without a token" % (self.label, params["realm"]))
        with self._lock:
            self._tokens[tuple(sorted(scopes))] = token

    # -- HTTP --------------------------------------------------------------------------
    def url(self, path):
        if path.startswith("http://") or path.startswith("https://"):
            return path
        return self.base_url + path

    def request(self, method, path, scopes=(), expected=(200,), headers=None, allow_missing=False, replay=True,
                **kwargs):
        """One call with authentication. 401 triggers the challenge dance once; other unexpected
        statuses raise :class:`RegistryError` (404 -> :class:`NotFoundError` unless ``allow_missing``).
        ``replay=False``: no retry of a request that may have reached the registry."""
        url = self.url(path)
        for attempt in (1, 2):
            hdrs = dict(headers or {})
            auth = self._auth_header(scopes)
            if auth:
                hdrs["Authorization"] = auth
            resp = self._send(method, url, replay=replay, headers=hdrs, **kwargs)
            if resp.status_code == 401 and attempt == 1:
                resp.close()
                self._handle_challenge(resp, scopes)
                continue
            break
        if resp.status_code in expected:
            return resp
        if resp.status_code == 404 and allow_missing:
            return resp
        self._raise(method, url, resp)

    def _raise(self, method, url, resp):
        code = None
        message = ""
        try:
            errors = resp.json().get("errors") or []
            if errors:
                code = errors[0].get("code")
                message = errors[0].get("message") or ""
        except (ValueError, AttributeError):
            message = (resp.text or "")[:200]
        resp.close()
        what = "%s %s %s answered HTTP %d%s%s" % (
            self.label, method, urlsplit(url).path, resp.status_code, " " + code if code else "",
            ": " + message if message else "")
        if resp.status_code == 401:
            raise AuthError(what + " (credentials rejected or missing)", status=401, code=code)
        if resp.status_code == 403:
            raise AuthError(what + " (access denied for user %r)" % self.username, status=403, code=code)
        if resp.status_code == 404:
            raise NotFoundError(what, status=404, code=code)
        raise RegistryError(what, status=resp.status_code, code=code)

    # -- API ---------------------------------------------------------------------------
    def check_access(self):
        """``GET /v2/``: proves the endpoint speaks the API and the credentials work (before any write)."""
        resp = self._send("GET", self.url("/v2/"), headers={"Authorization": self._basic_header()} if (
            self.has_credentials and self._scheme == "basic") else {})
        if resp.status_code == 200:
            return "anonymous" if not self._scheme else self._scheme
        if resp.status_code != 401:
            self._raise("GET", self.url("/v2/"), resp)
        scheme, params = parse_challenge(resp.headers.get("WWW-Authenticate"))
        if scheme == "bearer" and not self.has_credentials:
            # Anonymous tokens may be enough to pull; pushes will tell.
            with self._lock:
                self._scheme = "bearer"
                self._challenge = params
            return "bearer-anonymous"
        self._handle_challenge(resp, ())
        if self._scheme == "basic":
            resp = self._send("GET", self.url("/v2/"), headers={"Authorization": self._basic_header()})
            if resp.status_code == 401:
                raise AuthError("%s %s rejected the credentials of user %r (HTTP 401)" % (
                    self.label, self.base_url, self.username), status=401, code="UNAUTHORIZED")
            if resp.status_code != 200:
                self._raise("GET", self.url("/v2/"), resp)
            return "basic"
        # Bearer with credentials: _handle_challenge fetched a token without scope, which
        # validates the credentials against the token service.
        return "bearer"

    @staticmethod
    def pull(repo):
        return ("repository:%s:pull" % repo,)

    @staticmethod
    def push(repo):
        return ("repository:%s:pull,push" % repo,)

    def _manifest_path(self, repo, ref):
        return "/v2/%s/manifests/%s" % (repo, quote(ref, safe=":"))

    def get_manifest(self, repo, ref):
        resp = self.request("GET", self._manifest_path(repo, ref), scopes=self.pull(repo),
                            headers={"Accept": ACCEPT})
        data = resp.content
        if len(data) > MAX_MANIFEST_BYTES:
            raise RegistryError("%s manifest %s@%s is larger than %d bytes" % (self.label, repo, ref,
                                                                               MAX_MANIFEST_BYTES))
        media_type = (resp.headers.get("Content-Type") or "").split(";")[0].strip()
        try:
            doc = json.loads(data.decode("utf-8"))
        except ValueError:
            raise RegistryError("%s manifest %s:%s is not JSON" % (self.label, repo, ref))
        if media_type not in MANIFEST_TYPES:
            media_type = doc.get("mediaType") or media_type
        if media_type in SCHEMA1_TYPES or doc.get("schemaVersion") == 1:
            raise RegistryError("%s %s:%s is a Docker schema 1 manifest; convert it to schema 2 or OCI first "
                                "(schema 1 cannot be copied with the same digest)" % (self.label, repo, ref))
        if media_type not in MANIFEST_TYPES:
            if doc.get("manifests") is not None:
                media_type = OCI_INDEX
            elif doc.get("layers") is not None:
                media_type = OCI_MANIFEST
            else:
                raise RegistryError("%s %s:%s has an unsupported media type %r" % (self.label, repo, ref,
                                                                                   media_type))
        manifest = Manifest(data, media_type)
        if ref.startswith("sha256:") and manifest.digest != ref:
            raise DigestMismatch("%s manifest %s@%s hashes to %s" % (self.label, repo, ref, manifest.digest))
        served = resp.headers.get("Docker-Content-Digest")
        if served and served.startswith("sha256:") and served != manifest.digest:
            raise DigestMismatch("%s manifest %s:%s: Docker-Content-Digest %s but the bytes hash to %s" % (
                self.label, repo, ref, served, manifest.digest))
        return manifest

    def manifest_digest(self, repo, ref, scopes=None):
        """Digest of ``repo:ref`` on this registry, or ``None`` when it does not exist."""
        resp = self.request("HEAD", self._manifest_path(repo, ref), scopes=scopes or self.pull(repo),
                            headers={"Accept": ACCEPT}, allow_missing=True)
        if resp.status_code == 404:
            return None
        digest = resp.headers.get("Docker-Content-Digest")
        if digest:
            return digest
        return self.get_manifest(repo, ref).digest

    def put_manifest(self, repo, ref, manifest):
        resp = self.request("PUT", self._manifest_path(repo, ref), scopes=self.push(repo),
                            expected=(200, 201, 202), headers={"Content-Type": manifest.media_type},
                            data=manifest.data)
        digest = resp.headers.get("Docker-Content-Digest")
        if digest and digest != manifest.digest:
            raise DigestMismatch("%s stored manifest %s:%s as %s, expected %s" % (
                self.label, repo, ref, digest, manifest.digest))
        return manifest.digest

    def blob_size(self, repo, digest, scopes=None):
        """Size of a blob when present, else ``None``."""
        resp = self.request("HEAD", "/v2/%s/blobs/%s" % (repo, digest), scopes=scopes or self.pull(repo),
                            allow_missing=True, expected=(200, 302, 303, 307, 308))
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            return -1       # redirected to the storage backend: present, size not given
        try:
            return int(resp.headers.get("Content-Length"))
        except (TypeError, ValueError):
            return -1

    def open_blob(self, repo, digest):
        """A streaming response for the blob (caller closes it)."""
        return self.request("GET", "/v2/%s/blobs/%s" % (repo, digest), scopes=self.pull(repo), stream=True)

    def mount_blob(self, repo, digest, from_repo):
        """Cross-repository mount. Returns ``(True, None)`` when mounted, or ``(False, upload_url)`` when
        the registry started an ordinary upload instead."""
        scopes = self.push(repo) + self.pull(from_repo)
        resp = self.request("POST", "/v2/%s/blobs/uploads/?%s" % (repo, urlencode([("mount", digest),
                                                                                   ("from", from_repo)])),
                            scopes=scopes, expected=(201, 202), headers={"Content-Length": "0"}, replay=False)
        resp.close()
        if resp.status_code == 201:
            return True, None
        return False, self._location(resp)

    def start_upload(self, repo):
        resp = self.request("POST", "/v2/%s/blobs/uploads/" % repo, scopes=self.push(repo), expected=(202,),
                            headers={"Content-Length": "0"}, replay=False)
        resp.close()
        return self._location(resp)

    def _location(self, resp):
        location = resp.headers.get("Location")
        if not location:
            raise RegistryError("%s upload answer without Location" % self.label, status=resp.status_code)
        return urljoin(self.base_url + "/", location)

    def upload_chunk(self, repo, location, data, offset):
        end = offset + len(data) - 1
        resp = self.request("PATCH", location, scopes=self.push(repo), expected=(202, 204), data=data,
                            headers={"Content-Type": "application/octet-stream",
                                     "Content-Range": "%d-%d" % (offset, end),
                                     "Content-Length": str(len(data))}, replay=False)
        resp.close()
        return self._location(resp)

    def finish_upload(self, repo, location, digest, data=b""):
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(len(data))}
        resp = self.request("PUT", add_query(location, digest=digest), scopes=self.push(repo),
                            expected=(201, 204), data=data, headers=headers, replay=False)
        resp.close()
        stored = resp.headers.get("Docker-Content-Digest")
        if stored and stored != digest:
            raise DigestMismatch("%s stored blob %s as %s" % (self.label, digest, stored))

    def cancel_upload(self, repo, location):
        try:
            resp = self.request("DELETE", location, scopes=self.push(repo), expected=(204, 202, 200, 404))
            resp.close()
        except Exception:  # pylint: disable=broad-except
            pass

    def close(self):
        self.session.close()
        self.upload_session.close()
