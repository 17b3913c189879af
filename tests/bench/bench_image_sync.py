"""Copy one image with large layers between two local registries: wall time, throughput and the peak
RSS of the module process (streaming: the RSS must not grow with the layer size).

Builds an OCI image with ``BENCH_LAYERS`` layers of ``BENCH_LAYER_MB`` MB of random data (default 2 x
64 MB), seeds it with skopeo into a source registry and copies it with ``image_sync`` to a target
registry (basic auth), once with the default chunked upload. Prints the figures and one
``RESULT {json}`` line for ``make bench``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.integration.registry.harness import Layout, Registry, ensure_tools, skopeo_push  # noqa: E402
from tests.utils.devpath import DEV_ROOT, ensure_dev_path  # noqa: E402

LAYERS = int(os.environ.get("BENCH_LAYERS", "2"))
LAYER_MB = int(os.environ.get("BENCH_LAYER_MB", "64"))


def run_module(params):
    ensure_dev_path()
    args = dict(params, _ansible_check_mode=False, _ansible_diff=False, _ansible_verbosity=0)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, fh)
        path = fh.name
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(DEV_ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryFile("w+") as out:
        start = time.monotonic()
        module = "ansible_collections.ctyun.cce_migration.plugins.modules.image_sync"
        proc = subprocess.Popen([sys.executable, "-m", module, path], stdout=out, stderr=subprocess.STDOUT, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - start
        os.unlink(path)
        out.seek(0)
        text = out.read()
    result = json.loads(text[text.index("{"):])
    return result, seconds, usage.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status)


def seed(layout_dir, registry_dir, port):
    """Build and push the image in a separate process: Linux keeps ``ru_maxrss`` across fork and exec,
    so a parent that held the layers in memory would inflate the module's figure."""
    registry = Registry(registry_dir, "source")
    registry.port = int(port)
    layout = Layout(layout_dir)
    layers = [{"data/%d.bin" % i: os.urandom(LAYER_MB * 1024 * 1024)} for i in range(LAYERS)]
    layout.tag(layout.image("linux", "amd64", layers), "big")
    skopeo_push(layout.path, "big", registry, "bench/big", all_platforms=False)


def main():
    missing = ensure_tools()
    if missing:
        print("SKIP: registry tools missing: %s" % ", ".join(missing))
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-image-sync-"))
    src = Registry(work, "source").start()
    dst = Registry(work, "target", users={"bench": "bench-pass"}).start()
    try:
        subprocess.run([sys.executable, __file__, "--seed", str(work / "layout"), str(work), str(src.port)],
                       check=True)
        params = dict(images=["bench/big:big"], source_registry=dict(url=src.url),
                      target_registry=dict(url=dst.url, username="bench", password="bench-pass"),
                      repository_map={src.host + "/bench": dst.host + "/copied"})
        result, seconds, rss_mb, rc = run_module(params)
        if rc != 0:
            print(json.dumps(result, indent=2)[:3000])
            return 1
        moved = result["bytes"]
        again, again_s, _rss, _rc = run_module(params)
        figures = dict(bytes=moved, seconds=round(seconds, 2), mb_per_s=round(moved / 1e6 / seconds, 1),
                       peak_rss_mb=round(rss_mb, 1), largest_layer_mb=LAYER_MB,
                       rerun_outcome=again["results"][0]["outcome"], rerun_seconds=round(again_s, 2))
        print("copied %d bytes in %.2f s (%.1f MB/s); module peak RSS %.1f MB with %d MB layers; re-run %s in %.2f s"
              % (moved, seconds, figures["mb_per_s"], rss_mb, LAYER_MB, figures["rerun_outcome"], again_s))
        print("RESULT " + json.dumps(figures, sort_keys=True))
        return 0
    finally:
        src.stop()
        dst.stop()
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--seed":
        seed(*sys.argv[2:])
        sys.exit(0)
    sys.exit(main())
