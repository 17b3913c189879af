#!/usr/bin/env bash
# Build the real control planes the lab runs with LAB_KUBE=real, once per version set.
#
# Everything goes to a cache folder outside the work tree, keyed by the versions:
#   $REAL_CACHE/<key>/bin      kube-apiserver kube-controller-manager kube-scheduler etcd kwok
#                              karmada-aggregated-apiserver karmada-controller-manager
#                              karmada-scheduler karmada-webhook karmadactl
#   $REAL_CACHE/<key>/karmada  Karmada's CRDs and webhook configuration, from the built module
#   $REAL_CACHE/go/{cache,mod} GOCACHE and GOMODCACHE, shared between version sets
#   $REAL_CACHE/gateway-api/<version>/crds  the Gateway API CRDs the real lab applies to its
#                              source (HTTPRoute, standard channel), keyed by their own version
# REAL_CACHE defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/ctyun-cce-migration/real.
# A second run finds <key>/.complete and returns in seconds. Prints the key folder last.
set -euo pipefail
# --check: print the cache folder when complete, else fail naming the command that builds it.

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$HERE/versions.env"

say() { printf '[real-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }

command -v go >/dev/null || die "no Go toolchain on PATH: install Go 1.26 (https://go.dev/doc/install) and re-run 'make real-build'"
gover=$(go env GOVERSION | sed 's/^go//')
case "$gover" in 1.2[6-9]*|1.[3-9]*) ;; *) die "Go $gover is too old: kwok $KWOK_VERSION needs Go 1.26 or newer";; esac

REAL_CACHE=${REAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ctyun-cce-migration/real}
key=$(printf '%s\n' "$KUBE_VERSION" "$KUBE_STAGING_VERSION" "$ETCD_VERSION" "$KWOK_VERSION" "$KARMADA_VERSION" "build-2" \
      | sha256sum | cut -c1-12)
OUT="$REAL_CACHE/$key"
if [ "${1:-}" = "--check" ]; then
  [ -f "$OUT/.complete" ] || die "the real control planes are not built: run 'make real-build'"
  echo "$OUT"; exit 0
fi

# --- Gateway API CRDs: downloaded through the module proxy into a folder of their own, so that the
# key above does not depend on them (a cached build stays valid; only this step runs).
gateway_api() {
  local dest="$REAL_CACHE/gateway-api/$GATEWAY_API_VERSION" tmp dir
  local crd=config/crd/standard/gateway.networking.k8s.io_httproutes.yaml
  [ -f "$dest/.complete" ] && return 0
  say "gateway-api $GATEWAY_API_VERSION: downloading its CRDs"
  mkdir -p "$REAL_CACHE/go/mod"
  tmp=$(mktemp -d)
  dir=$(cd "$tmp" && GOMODCACHE="$REAL_CACHE/go/mod" GOFLAGS=-mod=mod GOTOOLCHAIN=local \
        GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}" \
        go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" \
        | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p') || true
  rmdir "$tmp"
  if [ -z "$dir" ] || [ ! -f "$dir/$crd" ]; then
    die "downloading sigs.k8s.io/gateway-api $GATEWAY_API_VERSION failed: is the Go module proxy reachable?"
  fi
  rm -rf "$dest" && mkdir -p "$dest/crds"
  cp "$dir/$crd" "$dest/crds/"
  chmod -R u+w "$dest"
  touch "$dest/.complete"
}

# --- The CRDs the simulation serves, from the same Karmada module (tools/sync_karmada_crds.sh keeps
# the repository's copy of them for machines without this cache). Refreshed on a cache hit too, so
# a CRD added to the repository's list reaches a cache built before it (the module is in GOMODCACHE).
sim_crds() {
  local kmod="$REAL_CACHE/go/mod/github.com/karmada-io/karmada@$KARMADA_VERSION" f b src
  [ -d "$kmod/charts/karmada/_crds/bases" ] || return 0
  rm -rf "$OUT/karmada/sim-crds" && mkdir -p "$OUT/karmada/sim-crds"
  for f in "$HERE"/../karmada-crds/*.yaml; do
    b=$(basename "$f"); src=$(find "$kmod/charts/karmada/_crds/bases" -name "$b")
    [ -n "$src" ] || die "$b is not in the Karmada module $KARMADA_VERSION"
    cp "$src" "$OUT/karmada/sim-crds/"
  done
  chmod -R u+w "$OUT/karmada/sim-crds"
}

if [ -f "$OUT/.complete" ]; then
  say "cache hit: $OUT (kubernetes $KUBE_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION, karmada $KARMADA_VERSION)"
  sim_crds
  gateway_api
  echo "$OUT"; exit 0
fi
mkdir -p "$OUT/bin" "$OUT/src" "$REAL_CACHE/go/cache" "$REAL_CACHE/go/mod"
export GOCACHE="$REAL_CACHE/go/cache" GOMODCACHE="$REAL_CACHE/go/mod" GOFLAGS="-buildvcs=false -mod=mod"
export CGO_ENABLED=0 GOTOOLCHAIN=local
export GOPROXY=${GOPROXY:-https://proxy.golang.org,direct}
start=$(date +%s)

step() {  # step NAME CMD...: skip when the binary is already there (a build interrupted half-way resumes)
  local name=$1; shift
  if [ -x "$OUT/bin/$name" ]; then say "$name: already built"; return; fi
  say "$name: building"
  local t0; t0=$(date +%s)
  "$@" || die "building $name failed (see the go output above); re-run 'make real-build' to resume"
  say "$name: done in $(( $(date +%s) - t0 )) s"
}

# --- Kubernetes: k8s.io/kubernetes replaces its staging modules with ./staging, which `go install`
# refuses; a wrapper module requires it and pins each staging module to the matching release.
kube_src="$OUT/src/kubernetes"
if [ ! -f "$kube_src/go.sum" ]; then
  say "kubernetes $KUBE_VERSION: resolving modules (first run downloads about 1 GB)"
  mkdir -p "$kube_src"
  ( cd "$kube_src"
    rm -f go.mod go.sum
    go mod init ctyun.local/realkube >/dev/null 2>&1
    go mod edit -require "k8s.io/kubernetes@$KUBE_VERSION"
    go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" >/dev/null
    kdir=$(go list -m -f '{{.Dir}}' "k8s.io/kubernetes@$KUBE_VERSION" 2>/dev/null || true)
    [ -n "$kdir" ] || kdir="$GOMODCACHE/k8s.io/kubernetes@$KUBE_VERSION"
    for m in $(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$kdir/go.mod"); do
      go mod edit -replace "$m=$m@$KUBE_STAGING_VERSION"
    done
    cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
    go mod tidy -e >/dev/null 2>&1 || true
    go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" >/dev/null ) \
    || die "resolving k8s.io/kubernetes $KUBE_VERSION failed: is the Go module proxy reachable (GOPROXY=$GOPROXY)?"
fi
minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
kube_ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ldflags="$kube_ldflags -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  step "$c" bash -c "cd '$kube_src' && go build -p 2 -trimpath -ldflags '$kube_ldflags' -o '$OUT/bin/$c' k8s.io/kubernetes/cmd/$c"
done

# --- etcd: the server module's release carries replace directives as well; same wrapper.
etcd_src="$OUT/src/etcd"
if [ ! -f "$etcd_src/go.sum" ]; then
  mkdir -p "$etcd_src"
  ( cd "$etcd_src" && rm -f go.mod go.sum && go mod init ctyun.local/realetcd >/dev/null 2>&1 \
    && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null ) \
    || die "resolving go.etcd.io/etcd/server/v3 $ETCD_VERSION failed"
fi
step etcd bash -c "cd '$etcd_src' && go build -p 2 -trimpath -ldflags '-s -w' -o '$OUT/bin/etcd' go.etcd.io/etcd/server/v3"

# --- kwok installs directly (no replace directives in its go.mod).
step kwok env GOBIN="$OUT/bin" go install -trimpath \
  -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"

# --- Karmada: `go install ...@version` asks the proxy for the module's version list to look up
# deprecations, which the proxy may refuse; a wrapper module pinning the release needs no list.
karmada_src="$OUT/src/karmada"
if [ ! -f "$karmada_src/go.sum" ]; then
  mkdir -p "$karmada_src"
  ( cd "$karmada_src" && rm -f go.mod go.sum && go mod init ctyun.local/realkarmada >/dev/null 2>&1
    go mod edit -require "github.com/karmada-io/karmada@$KARMADA_VERSION"
    { echo '//go:build tools'; echo; echo 'package tools'; echo; echo 'import ('
      for c in aggregated-apiserver controller-manager scheduler webhook karmadactl; do
        echo "	_ \"github.com/karmada-io/karmada/cmd/$c\""; done; echo ')'; } > tools.go
    go mod tidy >/dev/null ) \
    || die "resolving github.com/karmada-io/karmada $KARMADA_VERSION failed: is the Go module proxy reachable?"
fi
kv="github.com/karmada-io/karmada/pkg/version"
karmada_ldflags="-s -w -X $kv.gitVersion=$KARMADA_VERSION -X $kv.gitTreeState=clean -X $kv.buildDate=1970-01-01T00:00:00Z"
for c in aggregated-apiserver controller-manager scheduler webhook karmadactl; do
  out=karmada-$c; [ "$c" = karmadactl ] && out=karmadactl
  step "$out" bash -c "cd '$karmada_src' && go build -p 2 -trimpath -ldflags '$karmada_ldflags' -o '$OUT/bin/$out' \
    github.com/karmada-io/karmada/cmd/$c"
done

# --- Karmada's CRDs, webhook configuration and kwok's stages, from the modules themselves.
kmod="$GOMODCACHE/github.com/karmada-io/karmada@$KARMADA_VERSION"
[ -d "$kmod/charts/karmada/_crds/bases" ] || die "Karmada module $KARMADA_VERSION has no charts/karmada/_crds/bases"
rm -rf "$OUT/karmada" && mkdir -p "$OUT/karmada"
cp -r "$kmod/charts/karmada/_crds" "$OUT/karmada/crds"
cp "$kmod/artifacts/deploy/webhook-configuration.yaml" "$OUT/karmada/"
wmod="$GOMODCACHE/sigs.k8s.io/kwok@$KWOK_VERSION"
rm -rf "$OUT/kwok-stages" && mkdir -p "$OUT/kwok-stages"
cp -r "$wmod/kustomize/stage/." "$OUT/kwok-stages/"
chmod -R u+w "$OUT/karmada" "$OUT/kwok-stages"
sim_crds
cat > "$OUT/versions.json" <<JSON
{"kubernetes": "$KUBE_VERSION", "etcd": "$ETCD_VERSION", "kwok": "$KWOK_VERSION", "karmada": "$KARMADA_VERSION"}
JSON
touch "$OUT/.complete"
gateway_api
say "all built in $(( $(date +%s) - start )) s into $OUT"
echo "$OUT"
