"""Check that the venv has what the requirement files ask for, without installing anything.

``make`` runs it on every target that needs the venv: a requirement file changed by a pull or a
rebase (a newer file than the venv) must not make ``make`` rebuild a venv behind the user's back;
this says what is missing instead, and ``make venv-refresh`` installs it.
"""

from __future__ import annotations

import sys
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement


def missing(paths):
    out = []
    for path in paths:
        with open(path) as fh:
            for line in fh:
                line = line.split("#", 1)[0].strip()
                if not line or line.startswith("-"):
                    continue
                try:
                    req = Requirement(line)
                except InvalidRequirement:
                    out.append("%s: cannot read %r" % (path, line))
                    continue
                if req.marker is not None and not req.marker.evaluate():
                    continue
                try:
                    have = metadata.version(req.name)
                except metadata.PackageNotFoundError:
                    out.append("%s (not installed; %s)" % (req, path))
                    continue
                if req.specifier and not req.specifier.contains(have, prereleases=True):
                    out.append("%s (installed %s; %s)" % (req, have, path))
    return out


def main(argv):
    problems = missing(argv[1:])
    if problems:
        sys.stderr.write("The venv does not match the requirement files:\n  %s\nRun: make venv-refresh\n"
                         % "\n  ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
