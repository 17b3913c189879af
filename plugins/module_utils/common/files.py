# -*- coding: utf-8 -*-
# Copyright: ctyun.cce_migration contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The one file writer of the collection: atomic, idempotent, with an exact mode.

Every file a module writes (kubeconfigs, reports, plans) goes through :func:`write_file`, which
writes a temporary file next to the destination and moves it into place with
``AnsibleModule.atomic_move`` (same filesystem, so readers see the old or the new file, never a
half-written one).
"""

from __future__ import annotations

import os
import tempfile


def read_text(path):
    """The file's text, or None when it does not exist."""
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8")
    except OSError:
        return None


def write_file(module, path, text, mode=0o600, check_mode=False, dir_mode=0o700):
    """Write ``text`` to ``path`` with ``mode`` unless the file already holds it with that mode.

    Returns True when the file changed (or would, in check mode). ``module`` is the
    ``AnsibleModule``; missing parent directories are made with ``dir_mode``. A new file is
    never readable beyond ``mode``, even for an instant: the temporary file is made with ``mode``
    and the umask is narrowed while ``atomic_move`` creates the destination."""
    path = os.path.abspath(os.path.expanduser(path))
    current = read_text(path)
    same_mode = current is not None and (os.stat(path).st_mode & 0o7777) == mode
    if current == text and same_mode:
        return False
    if check_mode:
        return True
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, dir_mode)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
        old_umask = os.umask(0o777 & ~mode)
        try:
            module.atomic_move(tmp, path)
        finally:
            os.umask(old_umask)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    # atomic_move keeps an existing destination's attributes: the mode asked for wins
    os.chmod(path, mode)
    return True
