"""Time the full `make demo` (lab start, whole migration, lab stop)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main():
    env = dict(os.environ)
    env.setdefault("LAB_DIR", str(REPO / ".build" / "bench-demo-lab"))
    env.setdefault("MIGRATION_WORKDIR", str(REPO / ".build" / "bench-demo-migration"))
    start = time.monotonic()
    proc = subprocess.run(["bash", "tests/demo/run_demo.sh"], cwd=REPO, env=env, capture_output=True, text=True,
                          check=False)
    seconds = time.monotonic() - start
    print("\n".join((proc.stdout + proc.stderr).splitlines()[-8:]))
    print("RESULT " + json.dumps({"name": "demo", "seconds": round(seconds, 1), "rc": proc.returncode}))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
