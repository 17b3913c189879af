"""Lab throughput: 32 concurrent clients on loopback against the source API server.

Bounded: 4,000 requests or 60 s, whichever comes first. Mix: 70 % GET of one object,
20 % paginated list (limit 50), 10 % merge patch of a ConfigMap.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.lab.fixtures import start_lab  # noqa: E402

CLIENTS, TOTAL, LIMIT_S = 32, 4000, 60


async def load(lab):
    import yaml

    kc = yaml.safe_load(Path(lab.kubeconfig).read_text())
    token = next(u["user"]["token"] for u in kc["users"] if u["name"] == "source-admin")
    base = "https://127.0.0.1:%d" % lab.ports["source"]
    ctx = ssl.create_default_context(cafile=lab.ca)
    headers = {"Authorization": "Bearer %s" % token}
    counter = iter(range(TOTAL))
    latencies = []
    errors = 0
    deadline = time.monotonic() + LIMIT_S

    async def worker(session, wid):
        nonlocal errors
        cm = "bench-%d" % wid
        await session.post(base + "/api/v1/namespaces/default/configmaps", json={
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": cm}, "data": {"n": "0"}})
        for i in counter:
            if time.monotonic() > deadline:
                return
            start = time.monotonic()
            if i % 10 < 7:
                req = session.get(base + "/apis/apps/v1/namespaces/shop/deployments/cart-0")
            elif i % 10 < 9:
                req = session.get(base + "/apis/apps/v1/deployments?limit=50")
            else:
                req = session.patch(base + "/api/v1/namespaces/default/configmaps/" + cm,
                                    data=json.dumps({"data": {"n": str(i)}}),
                                    headers={"Content-Type": "application/merge-patch+json"})
            async with req as resp:
                await resp.read()
                if resp.status >= 300:
                    errors += 1
            latencies.append(time.monotonic() - start)

    conn = aiohttp.TCPConnector(ssl=ctx, limit=CLIENTS)
    async with aiohttp.ClientSession(connector=conn, headers=headers) as session:
        start = time.monotonic()
        await asyncio.gather(*(worker(session, w) for w in range(CLIENTS)))
        elapsed = time.monotonic() - start
    latencies.sort()
    return dict(name="lab", requests=len(latencies), seconds=round(elapsed, 2),
                requests_per_s=round(len(latencies) / elapsed, 1), errors=errors,
                p50_ms=round(latencies[len(latencies) // 2] * 1000, 1),
                p99_ms=round(latencies[int(len(latencies) * 0.99)] * 1000, 1), clients=CLIENTS)


def main():
    with tempfile.TemporaryDirectory(prefix="bench-lab-") as tmp:
        with start_lab(tmp, LAB_WORKLOADS=os.environ.get("LAB_WORKLOADS", "100"), LAB_READY_S="0.5") as lab:
            result = asyncio.run(load(lab))
    print("lab throughput: %(requests)d requests from %(clients)d clients in %(seconds)s s = %(requests_per_s)s "
          "requests/s (p50 %(p50_ms)s ms, p99 %(p99_ms)s ms, %(errors)d errors)" % result)
    print("RESULT " + json.dumps(result))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
