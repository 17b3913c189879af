"""Offline stand-in for pip's ``get-pip.py`` bootstrap script.

ansible-test bootstraps pip into the virtual environments of its sanity tests by
downloading ``get-pip.py`` from a host that is not a package registry. This script
does the same job with what Python ships: ``ensurepip`` installs the bundled pip,
which then installs the pinned pip version and packages ansible-test asks for from
the configured package index. ``make sanity`` places it in ansible-test's cache.
"""

import subprocess
import sys

GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")


def main():
    # ensurepip runs in its own process: it switches pip's configuration off in the
    # environment of the process that calls it, and the second step needs that
    # configuration (index, certificates).
    rc = subprocess.call([sys.executable, "-m", "ensurepip", "--default-pip"])
    if rc:
        return rc
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    return subprocess.call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    sys.exit(main())
