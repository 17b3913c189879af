"""Make the working tree importable as ``ansible_collections.ctyun.cce_migration``.

A symlink ``.build/dev/ansible_collections/ctyun/cce_migration`` points at the
repository root; its parent directory goes on ``sys.path`` (and on PYTHONPATH
for subprocesses), so tests exercise the files being edited, not an installed copy.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEV_ROOT = REPO / ".build" / "dev"


def ensure_dev_path() -> Path:
    link = DEV_ROOT / "ansible_collections" / "ctyun" / "cce_migration"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        try:
            os.symlink(REPO, link, target_is_directory=True)
        except FileExistsError:  # another test process made it first
            pass
    if str(DEV_ROOT) not in sys.path:
        sys.path.insert(0, str(DEV_ROOT))
    return DEV_ROOT
