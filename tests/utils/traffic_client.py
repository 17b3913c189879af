"""A bounded HTTP client standing in for the users: it sends requests for one host through an
entry (the lab's public load balancer, or a cluster's entry) at a steady rate and records every
answer, so a test can say how many requests failed and which cluster served what share.

``with TrafficClient(url, host, rate=60, max_seconds=900) as client: ...`` runs in the background;
``client.mark()`` is a position in the record, ``client.summary(since, until)`` counts the
answers between two marks: ``total``, ``failed`` (anything but 200, or no answer), ``served``
(per cluster, from the entries' ``X-Served-By`` header) and ``share`` (percent served by the
``target`` entry). The loop stops by itself after ``max_seconds`` or ``max_requests``.
"""

from __future__ import annotations

import http.client
import threading
import time
from urllib.parse import urlsplit


class TrafficClient:
    def __init__(self, url, host, rate=60.0, workers=2, max_seconds=1200, max_requests=200000, timeout=5.0):
        parts = urlsplit(url)
        self.address = (parts.hostname, parts.port or 80)
        self.host = host
        self.interval = workers / float(rate)
        self.workers = workers
        self.deadline = time.monotonic() + max_seconds
        self.max_requests = max_requests
        self.timeout = timeout
        self.records = []           # (wall clock time, status or None, served by or None)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = []

    def __enter__(self):
        for _ in range(self.workers):
            thread = threading.Thread(target=self._run, daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=self.timeout + 5)

    def _connect(self):
        return http.client.HTTPConnection(*self.address, timeout=self.timeout)

    def _run(self):
        conn = self._connect()
        next_at = time.monotonic()
        while not self.stopping.is_set() and time.monotonic() < self.deadline:
            with self.lock:
                if len(self.records) >= self.max_requests:
                    break
            status = served = None
            try:
                conn.request("GET", "/", headers={"Host": self.host})
                resp = conn.getresponse()
                resp.read()
                status, served = resp.status, resp.getheader("X-Served-By")
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = self._connect()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = self._connect()
            with self.lock:
                self.records.append((time.time(), status, served))
            next_at += self.interval
            pause = next_at - time.monotonic()
            if pause > 0:
                self.stopping.wait(pause)
            else:
                next_at = time.monotonic()
        conn.close()

    def mark(self):
        with self.lock:
            return len(self.records)

    def wait_for(self, count, timeout=60):
        """Wait until ``count`` more answers than now are recorded; returns the new mark."""
        start = self.mark()
        limit = time.monotonic() + timeout
        while self.mark() < start + count:
            if time.monotonic() > limit:
                raise AssertionError("the client recorded %d answers in %ss, fewer than %d"
                                     % (self.mark() - start, timeout, count))
            time.sleep(0.05)
        return self.mark()

    def summary(self, since=0, until=None):
        with self.lock:
            rows = self.records[since:until]
        served = {}
        failed = []
        for at, status, who in rows:
            if status != 200:
                failed.append((at, status, who))
            else:
                served[who] = served.get(who, 0) + 1
        ok = sum(served.values())
        share = 100.0 * served.get("target", 0) / ok if ok else None
        return dict(total=len(rows), failed=len(failed), failures=failed[:10], served=served, share=share)
