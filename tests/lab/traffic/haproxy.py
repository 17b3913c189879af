"""The lab's load balancer: a real HAProxy (the Debian package) that the CTyun ELB simulation programs.

One ``haproxy`` process, a child of the lab process in its process group (the lab's shutdown kills it;
:meth:`Balancer.stop` stops it first), configured from a file written in the lab directory:

- a frontend on 127.0.0.1 and a free port, plain HTTP: the lab's "public entry"
  (:attr:`Balancer.public_port`), forwarding to the backend of the listener's target group;
- one backend per ELB target group (``ctyunsim.table.ELB_TARGET_GROUPS``): ``balance roundrobin``, which
  is weighted and takes weight changes on the fly (``rr`` groups give every server weight 1, as their
  algorithm ignores weights; ``lc`` would be ``leastconn``, ``sh`` ``source``); HTTP health checks
  following the group's ELB health check (interval, timeout, maxRetry as rise/fall, method, path,
  expected codes);
- the runtime API on a unix socket in the lab directory.

Targets go into pre-declared server slots (``disabled`` in the file, ``ELB_TARGETS_PER_GROUP`` per
backend) rather than ``add server``/``del server``: HAProxy 2.6's dynamic servers do not take the
backend's ``default-server`` line (the health check settings would have to be repeated in every
``add server`` and checks enabled by hand), and ``del server`` is refused while a connection is still
open, so a removal would need the same drain-and-wait as a slot does. A slot is programmed with
``set server ... addr/weight/state`` and given back once drained.

No retries and no redispatch: a failed connection or a 503 from a backend reaches the client, since
the tests count failed requests. ``option http-server-close``: each request to a server has its own
server connection, so a draining server is empty as soon as its requests are answered; clients may
keep their connection to the frontend.

What the ELB simulation calls (all thread-safe and synchronous, each a few runtime commands; the
simulation runs them in a worker thread): :meth:`Balancer.add_server`, :meth:`Balancer.set_weight`,
:meth:`Balancer.set_address`, :meth:`Balancer.remove_server` (drain, then maintenance once the server
has no request left, then the slot is free), :meth:`Balancer.health` / :meth:`Balancer.health_all`
(``online``/``offline``/``unknown`` from HAProxy's own check state), :meth:`Balancer.samples` (the
frontend's counters per sampling period, for the realtime monitor).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import csv
import io
import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.lab.ctyunsim import table as t

CONFIG_NAME = "haproxy.cfg"
SOCKET_NAME = "haproxy.sock"
LOG_NAME = "haproxy.log"
FRONTEND = "public"
SAMPLE_S = 1.0              # sampling period of the frontend's counters (realtime monitor)
SAMPLES_KEPT = 120
DRAIN_TIMEOUT_S = 30.0      # the longest a request may take (timeout server); then maintenance anyway
START_TIMEOUT_S = 15.0
PLACEHOLDER = "127.0.0.1:1"  # address of a free slot (never reached: the slot is in maintenance)


class BalancerError(RuntimeError):
    pass


class BalancerFull(BalancerError):
    """No free server slot left in the target group's backend."""


def haproxy_binary() -> str:
    found = os.environ.get("LAB_HAPROXY") or shutil.which("haproxy")
    if not found and os.access("/usr/sbin/haproxy", os.X_OK):
        found = "/usr/sbin/haproxy"
    if not found:
        raise BalancerError("haproxy not found: tests/integration/setup_system_deps.sh installs the Debian package "
                            "(or set LAB_HAPROXY)")
    return found


@dataclass
class Group:
    """A target group as the load balancer sees it."""
    id: str
    algorithm: str = "wrr"
    health: dict | None = None           # show-health-check fields, None: no health check

    @property
    def backend(self) -> str:
        return self.id

    def weight(self, elb_weight: int) -> int:
        return 1 if self.algorithm == "rr" else int(elb_weight)


@dataclass
class Slot:
    group: Group
    name: str
    key: str | None = None               # the ELB target's id (or seed-N); None: free
    ip: str = ""
    port: int = 0
    weight: int = 0
    enabled_at: float = 0.0
    seen_up: bool = False
    draining: bool = False
    seeded: bool = False
    done: threading.Event = field(default_factory=threading.Event)


def groups_from_table() -> list:
    return [Group(g["ID"], g["algorithm"], dict(t.ELB_HEALTH_CHECKS[g["healthCheckID"]])
                  if g.get("healthCheckID") else None) for g in t.ELB_TARGET_GROUPS]


def _expect_regex(codes: str) -> str:
    """CTyun's httpExpectedCodes (``http_2xx,http_3xx``) as an HAProxy status regex."""
    classes = sorted({c.strip()[5] for c in (codes or "http_2xx").split(",")
                      if c.strip().startswith("http_") and c.strip()[5:6] in "12345"})
    return "^[%s][0-9][0-9]$" % "".join(classes or ["2"])


def _balance(algorithm: str) -> str:
    return {"lc": "leastconn", "sh": "source"}.get(algorithm, "roundrobin")


def render_config(groups, listener_group: str, public_port: int, slots: dict) -> str:
    lines = [
        "# Written by tests/lab/traffic/haproxy.py: the lab's load balancer, programmed by the CTyun ELB",
        "# simulation through the runtime API. Regenerated at every lab start.",
        "global",
        "    stats socket unix@%s mode 600 level admin" % SOCKET_NAME,   # relative: haproxy runs in the lab directory
        "    stats timeout 10s",
        "    maxconn 4096",
        "",
        "defaults",
        "    mode http",
        "    option http-server-close",
        "    retries 0",                     # a failed connection is a 503 to the client, never hidden
        "    no option redispatch",
        "    timeout connect 2s",
        "    timeout client 30s",
        "    timeout server %ds" % int(DRAIN_TIMEOUT_S),
        "    timeout http-request 10s",
        "    timeout http-keep-alive 10s",
        "    timeout queue 5s",
        "",
        "frontend %s" % FRONTEND,
        "    bind 127.0.0.1:%d" % public_port,
        "    default_backend %s" % listener_group,
    ]
    for group in groups:
        lines += ["", "backend %s" % group.backend, "    balance %s" % _balance(group.algorithm)]
        check = ""
        if group.health:
            h = group.health
            lines += ["    option httpchk",
                      "    http-check send meth %s uri %s ver HTTP/1.1 hdr Host 127.0.0.1"
                      % (h.get("httpMethod") or "GET", h.get("httpUrlPath") or "/"),
                      "    http-check expect rstatus %s" % _expect_regex(h.get("httpExpectedCodes")),
                      "    timeout check %ds" % max(1, int(h.get("timeout") or 2))]
            retry = max(1, int(h.get("maxRetry") or 2))
            inter = max(1, int(h.get("interval") or 5))
            check = " check inter %ds fastinter %ds downinter %ds rise %d fall %d" % (inter, inter, inter, retry, retry)
            if h.get("protocolPort"):
                check += " port %d" % int(h["protocolPort"])
        lines.append("    default-server%s" % check)
        for slot in slots[group.id]:
            if slot.key is not None:
                lines.append("    server %s %s:%d weight %d"
                             % (slot.name, slot.ip, slot.port, group.weight(slot.weight)))
            else:
                lines.append("    server %s %s weight 1 disabled" % (slot.name, PLACEHOLDER))
    return "\n".join(lines) + "\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Balancer:
    """A running HAProxy and the map of its server slots (key -> slot)."""

    def __init__(self, lab_dir, seeded_targets=(), groups=None, listener_group=None,
                 slots_per_group=t.ELB_TARGETS_PER_GROUP, sample_s=SAMPLE_S):
        self.dir = Path(lab_dir)
        self.groups = {g.id: g for g in (groups if groups is not None else groups_from_table())}
        self.listener_group = listener_group or t.ELB_SEED["target_group"]
        if self.listener_group not in self.groups:
            raise BalancerError("listener target group %s is not among %s" % (self.listener_group, sorted(self.groups)))
        self.seeded_targets = [(ip, int(port)) for ip, port in seeded_targets]
        self.seeded_keys = ["seed-%d" % i for i in range(len(self.seeded_targets))]
        self.config_path = self.dir / CONFIG_NAME
        self.socket_path = self.dir / SOCKET_NAME
        self.log_path = self.dir / LOG_NAME
        self.public_port = 0
        self.process: subprocess.Popen | None = None
        self.sample_s = float(sample_s)
        self._lock = threading.RLock()
        self._slots = {gid: [Slot(g, "s%02d" % (i + 1)) for i in range(slots_per_group)]
                       for gid, g in self.groups.items()}
        self._by_key: dict = {}
        self._stopping = threading.Event()
        self._threads: list = []
        self._samples = collections.deque(maxlen=SAMPLES_KEPT)
        self._dir_fd = None
        self._log = None
        now = time.monotonic()
        for key, (ip, port) in zip(self.seeded_keys, self.seeded_targets):
            slot = self._free_slot(self.groups[self.listener_group])
            slot.key, slot.ip, slot.port, slot.weight, slot.seeded = key, ip, port, t.ELB_WEIGHT_DEFAULT, True
            slot.enabled_at = now
            self._by_key[key] = slot

    @property
    def public_url(self) -> str:
        return "http://127.0.0.1:%d" % self.public_port

    # -- process ------------------------------------------------------------------------
    def start(self, timeout=START_TIMEOUT_S) -> Balancer:
        binary = haproxy_binary()
        self.dir.mkdir(parents=True, exist_ok=True)
        self._dir_fd = os.open(self.dir, os.O_RDONLY)
        last = ""
        for _attempt in range(3):            # the free port may be taken between the probe and haproxy's bind
            self.public_port = _free_port()
            self.config_path.write_text(render_config(self.groups.values(), self.listener_group, self.public_port,
                                                      self._slots))
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()
            self._log = open(self.log_path, "ab")
            start_at = self._log.tell()
            # Same process group as the lab (no new session): the lab's shutdown takes it down too.
            self.process = subprocess.Popen([binary, "-f", CONFIG_NAME], cwd=str(self.dir), stdin=subprocess.DEVNULL,
                                            stdout=self._log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.process.poll() is None:
                if self._ready():
                    break
                time.sleep(0.05)
            if self.process.poll() is None and self._ready():
                now = time.monotonic()
                for slot in self._by_key.values():
                    slot.enabled_at = now
                self._samples.append(self._snapshot())
                sampler = threading.Thread(target=self._sample_loop, name="haproxy-sampler", daemon=True)
                sampler.start()
                self._threads.append(sampler)
                return self
            self._kill()
            self._log.close()
            with open(self.log_path, "rb") as fh:
                fh.seek(start_at)
                last = fh.read().decode(errors="replace")[-3000:]
            if "bind" not in last:      # only a port taken meanwhile is worth another try
                break
        raise BalancerError("haproxy did not start (log %s):\n%s" % (self.log_path, last))

    def _ready(self) -> bool:
        try:
            self.command("show info")
            with socket.create_connection(("127.0.0.1", self.public_port), timeout=0.5):
                return True
        except OSError:
            return False

    def _kill(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()          # SIGTERM: HAProxy's immediate stop
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def stop(self):
        """Stop HAProxy and the sampler. Synchronous; the result may also be awaited."""
        self._stopping.set()
        self._kill()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(2)
        if self._log is not None and not self._log.closed:
            self._log.close()
        if self._dir_fd is not None:
            os.close(self._dir_fd)
            self._dir_fd = None
        return _Done()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None and not self._stopping.is_set()

    # -- runtime API ----------------------------------------------------------------------
    def _socket_address(self) -> str:
        path = str(self.socket_path)
        if len(path.encode()) < 100 or self._dir_fd is None:
            return path
        return "/proc/self/fd/%d/%s" % (self._dir_fd, SOCKET_NAME)   # AF_UNIX paths are short; the lab's may not be

    def command(self, cmd: str) -> str:
        """One runtime API command (non-interactive: HAProxy answers and closes)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(self._socket_address())
            sock.sendall(cmd.encode() + b"\n")
            chunks = []
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
        return b"".join(chunks).decode(errors="replace")

    def _set(self, cmd: str, ok=("",)):
        out = self.command(cmd).strip()
        if out not in ok and not any(out.startswith(prefix) for prefix in ok if prefix):
            raise BalancerError("haproxy refused %r: %s" % (cmd, out))
        return out

    def stat_rows(self) -> dict:
        """``show stat`` as {(proxy, server): row}."""
        text = self.command("show stat").lstrip("# ")
        return {(r["pxname"], r["svname"]): r for r in csv.DictReader(io.StringIO(text)) if r.get("pxname")}

    # -- slots ----------------------------------------------------------------------------
    def _free_slot(self, group: Group) -> Slot:
        for slot in self._slots[group.id]:
            if slot.key is None and not slot.draining:
                return slot
        raise BalancerFull("target group %s holds at most %d targets in the lab"
                           % (group.id, len(self._slots[group.id])))

    def _slot(self, key) -> Slot:
        slot = self._by_key.get(key)
        if slot is None:
            raise BalancerError("no server for %s" % key)
        return slot

    def has(self, key) -> bool:
        return key in self._by_key

    def server_name(self, key) -> str:
        slot = self._slot(key)
        return "%s/%s" % (slot.group.backend, slot.name)

    def add_server(self, group_id: str, key: str, ip: str, port: int, weight: int) -> str:
        """Put a target in a free slot of its group's backend. It takes no request before its health
        check passes (checked groups): the slot leaves maintenance at weight 0, is forced DOWN, then
        given its weight; the checks (the first runs at once) bring it UP after ``rise`` successes."""
        group = self.groups.get(group_id)
        if group is None:
            raise BalancerError("no backend for target group %s" % group_id)
        with self._lock:
            if key in self._by_key:
                raise BalancerError("%s already has a server" % key)
            slot = self._free_slot(group)
            slot.key, slot.ip, slot.port, slot.weight = key, ip, int(port), int(weight)
            slot.seen_up, slot.draining, slot.seeded = False, False, False
            slot.done = threading.Event()
            self._by_key[key] = slot
            name = "%s/%s" % (group.backend, slot.name)
            try:
                self._set("set server %s addr %s port %d" % (name, ip, int(port)), ok=("IP changed", "no need"))
                self._set("set server %s weight 0" % name)
                self._set("set server %s state ready" % name)
                if group.health:
                    self._set("set server %s health down" % name)
                self._set("set server %s weight %d" % (name, group.weight(weight)))
            except Exception:
                with contextlib.suppress(Exception):
                    self._set("set server %s state maint" % name)
                self._by_key.pop(key, None)
                slot.key = None
                raise
            slot.enabled_at = time.monotonic()
            return name

    def set_weight(self, key: str, weight: int) -> None:
        with self._lock:
            slot = self._slot(key)
            slot.weight = int(weight)
            self._set("set server %s/%s weight %d" % (slot.group.backend, slot.name, slot.group.weight(weight)))

    def set_address(self, key: str, ip: str, port: int) -> None:
        with self._lock:
            slot = self._slot(key)
            if (slot.ip, slot.port) == (ip, int(port)):
                return
            self._set("set server %s/%s addr %s port %d" % (slot.group.backend, slot.name, ip, int(port)),
                      ok=("IP changed", "no need"))
            slot.ip, slot.port = ip, int(port)

    def remove_server(self, key: str, wait: bool = False) -> threading.Event:
        """Drain the target's server at once (no new request reaches it; requests in flight finish), then,
        in a background thread, put it in maintenance when it has no request left (or after
        ``DRAIN_TIMEOUT_S``) and free the slot. Returns an event set when the slot is free."""
        with self._lock:
            slot = self._by_key.pop(key, None)
            if slot is None:
                raise BalancerError("no server for %s" % key)
            slot.draining = True
            name = "%s/%s" % (slot.group.backend, slot.name)
            self._set("set server %s state drain" % name)
        thread = threading.Thread(target=self._finish_removal, args=(slot, name), name="haproxy-drain", daemon=True)
        thread.start()
        self._threads.append(thread)
        if wait:
            slot.done.wait(DRAIN_TIMEOUT_S + 5)
        return slot.done

    def _finish_removal(self, slot: Slot, name: str):
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        try:
            while time.monotonic() < deadline and not self._stopping.is_set():
                row = self.stat_rows().get((slot.group.backend, slot.name)) or {}
                if int(row.get("scur") or 0) == 0 and int(row.get("qcur") or 0) == 0:
                    break
                time.sleep(0.05)
            with self._lock:
                self._set("set server %s state maint" % name)
                self._set("set server %s addr 127.0.0.1 port 1" % name, ok=("IP changed", "no need"))
        except (OSError, BalancerError):
            if not self._stopping.is_set():
                raise
        finally:
            with self._lock:
                slot.key, slot.draining = None, False
            slot.done.set()

    # -- health ---------------------------------------------------------------------------
    def health(self, key: str) -> str:
        return self.health_all().get(key, "unknown")

    def health_all(self) -> dict:
        """{key: online/offline/unknown} from HAProxy's check state:

        - ``unknown``: no check has completed for the server yet (seeded servers before their first
          check; a new server while it rises through its first ``rise`` checks, or whose first check
          has not had time to fail), a group without health check, a server being removed;
        - ``online``: HAProxy has the server UP (``UP`` or ``UP k/n`` going down: still serving);
        - ``offline``: DOWN after a failed check (or DOWN again after having been UP)."""
        rows = self.stat_rows()
        now = time.monotonic()
        out = {}
        with self._lock:
            slots = list(self._by_key.items())
        for key, slot in slots:
            row = rows.get((slot.group.backend, slot.name)) or {}
            status = (row.get("status") or "").strip()
            check_status = (row.get("check_status") or "").strip().lstrip("* ")
            if not slot.group.health or slot.draining or status.startswith(("MAINT", "DRAIN")) or not status:
                out[key] = "unknown"
            elif status.startswith("UP") or status.startswith("NOLB"):
                if check_status == "INI":
                    out[key] = "unknown"
                else:
                    slot.seen_up = True
                    out[key] = "online"
            elif status.startswith("DOWN"):
                h = slot.group.health
                first_check_s = max(1, int(h.get("timeout") or 2)) + 0.5
                if slot.seen_up:
                    out[key] = "offline"
                elif status != "DOWN" or check_status == "INI" or now - slot.enabled_at < first_check_s:
                    out[key] = "unknown"          # rising ("DOWN k/n") or first check not yet failed
                else:
                    out[key] = "offline"
            else:
                out[key] = "unknown"
        return out

    def server_stats(self, key: str) -> dict:
        slot = self._slot(key)
        return self.stat_rows().get((slot.group.backend, slot.name)) or {}

    # -- realtime monitor -------------------------------------------------------------------
    def frontend_stats(self) -> dict:
        return self.stat_rows().get((FRONTEND, "FRONTEND")) or {}

    def _snapshot(self):
        row = self.frontend_stats()
        num = {k: int(row.get(k) or 0) for k in ("req_tot", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx",
                                                  "hrsp_5xx", "hrsp_other", "conn_tot", "scur", "bin", "bout")}
        return time.time(), num

    def _sample_loop(self):
        while not self._stopping.is_set():
            # take the snapshots on whole multiples of the period: distinct integer samplingTimes
            now = time.time()
            wait = self.sample_s - (now % self.sample_s) + 0.001
            if self._stopping.wait(wait):
                return
            try:
                self._samples.append(self._snapshot())
            except OSError:
                if self._stopping.is_set() or not self.running:
                    return

    def samples(self, limit: int = 60) -> list:
        """The frontend's counters per sampling period, oldest first: each item counts what happened
        between two snapshots (``requests``, ``hrsp_2xx`` ... ``hrsp_other``, ``new_connections``,
        ``bytes_in``, ``bytes_out``), with ``current_sessions`` at its end, ``period_s`` and
        ``sampling_time`` (Unix seconds at the end of the period)."""
        snaps = list(self._samples)
        out = []
        for (t0, a), (t1, b) in zip(snaps, snaps[1:]):
            period = max(t1 - t0, 1e-6)
            item = {k: max(0, b[k] - a[k]) for k in ("hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx")}
            item["hrsp_other"] = max(0, b["hrsp_other"] - a["hrsp_other"] + b["hrsp_1xx"] - a["hrsp_1xx"])
            item.update(requests=max(0, b["req_tot"] - a["req_tot"]),
                        new_connections=max(0, b["conn_tot"] - a["conn_tot"]),
                        bytes_in=max(0, b["bin"] - a["bin"]), bytes_out=max(0, b["bout"] - a["bout"]),
                        current_sessions=b["scur"], period_s=period, sampling_time=int(round(t1)))
            out.append(item)
        return out[-limit:]


class _Done:
    """An already finished awaitable: ``balancer.stop()`` and ``await balancer.stop()`` both work."""

    def __await__(self):
        return iter(())


def start_balancer_sync(lab_dir, seeded_targets=(), **kwargs) -> Balancer:
    """Start HAProxy for the lab in ``lab_dir``; ``seeded_targets`` [(ip, port)] are servers of the
    listener's target group from the start (weight 100, keys ``seed-0``...)."""
    return Balancer(lab_dir, seeded_targets, **kwargs).start()


async def start_balancer(lab_dir, seeded_targets=(), **kwargs) -> Balancer:
    """:func:`start_balancer_sync` without blocking the event loop (HAProxy is started in this process's
    process group either way)."""
    return await asyncio.to_thread(start_balancer_sync, lab_dir, seeded_targets, **kwargs)


__all__ = ["Balancer", "BalancerError", "BalancerFull", "Group", "start_balancer", "start_balancer_sync"]
