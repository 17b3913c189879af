#!/bin/sh
# Installs what the image_sync integration tests need: Debian's docker-registry (the
# Distribution registry), skopeo (seeds test images) and htpasswd (apache2-utils).
# Run as root; does nothing when everything is present.
set -eu
missing=""
command -v docker-registry >/dev/null 2>&1 || missing="$missing docker-registry"
command -v skopeo >/dev/null 2>&1 || missing="$missing skopeo"
command -v htpasswd >/dev/null 2>&1 || missing="$missing apache2-utils"
if [ -z "$missing" ]; then
    echo "registry test tools present"
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    SUDO=sudo
else
    SUDO=
fi
echo "installing:$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
# The package starts a system-wide registry on :5000; the tests run their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
    $SUDO systemctl stop docker-registry || true
fi
