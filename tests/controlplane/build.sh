#!/usr/bin/env bash
# Build the binaries of the test control plane from Go modules, and cache them.
#
#   tests/controlplane/build.sh            build what is missing, print the bin dir last
#   tests/controlplane/build.sh --print-dir  only print the bin dir (no build)
#   tests/controlplane/build.sh --force    rebuild everything
#
# Output: ${XDG_CACHE_HOME:-$HOME/.cache}/k8slab/controlplane/<K8S_VERSION>/bin/
#   kube-apiserver kube-controller-manager kube-scheduler etcd kwok, plus a
#   `versions` stamp file. A warm run (everything present, stamp matching) only
#   checks the stamp and exits.
#
# Each component is built from a tiny wrapper module generated in the cache
# (never in the repo). The Go module and build caches stay at Go's defaults
# (under $HOME) so they are warm between runs on the same machine.
set -euo pipefail

# ---- pinned versions -------------------------------------------------------
K8S_VERSION="${K8SLAB_K8S_VERSION:-v1.37.1}"    # k8s.io/kubernetes (v1.37.2: proxy answers 403 for its zip)
ETCD_VERSION="${K8SLAB_ETCD_VERSION:-v3.6.16}"  # go.etcd.io/etcd/server/v3
KWOK_VERSION="${K8SLAB_KWOK_VERSION:-v0.8.0}"   # sigs.k8s.io/kwok
# ----------------------------------------------------------------------------

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/k8slab/controlplane"
OUT="$CACHE_ROOT/$K8S_VERSION"
BIN="$OUT/bin"
SRC="$OUT/src"
STAMP="$BIN/versions"

FORCE=0
case "${1:-}" in
  --print-dir) echo "$BIN"; exit 0 ;;
  --force) FORCE=1 ;;
  "") ;;
  -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
  *) echo "build.sh: unknown argument: $1" >&2; exit 2 ;;
esac

die() { echo "build.sh: error: $*" >&2; exit 1; }

GO="${GO:-}"
if [[ -z "$GO" ]]; then
  if command -v go >/dev/null 2>&1; then GO="$(command -v go)"
  elif [[ -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go
  else die "no Go toolchain found (install Go >= 1.26, or set GO=/path/to/go)"; fi
fi
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:--buildvcs=false}"
JOBS="${K8SLAB_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}"

stamp_line() { # component version
  printf '%s %s go=%s\n' "$1" "$2" "$("$GO" env GOVERSION)"
}
have() { # binary component version -> 0 if built and stamped
  [[ $FORCE == 0 && -x "$BIN/$1" && -f "$STAMP" ]] && grep -qxF "$(stamp_line "$2" "$3")" "$STAMP"
}
record() { # component version
  local tmp="$STAMP.tmp.$$"
  { [[ -f "$STAMP" ]] && grep -v "^$1 " "$STAMP" || true; stamp_line "$1" "$2"; } >"$tmp"
  mv -f "$tmp" "$STAMP"
}
now() { date +%s; }
elapsed() { echo "$(( $(now) - $1 ))s"; }

# Fast path: everything present. No lock, no Go invocation beyond `go env`.
if have kube-apiserver kubernetes "$K8S_VERSION" && have kube-controller-manager kubernetes "$K8S_VERSION" \
   && have kube-scheduler kubernetes "$K8S_VERSION" && have etcd etcd "$ETCD_VERSION" \
   && have kwok kwok "$KWOK_VERSION"; then
  echo "build.sh: up to date (kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION)" >&2
  echo "$BIN"
  exit 0
fi

mkdir -p "$BIN" "$SRC"
# One build at a time per cache dir (pytest workers, scripts/controlplane up, ...).
exec 9>"$OUT/.lock"
if ! flock -n 9; then
  echo "build.sh: another build is running, waiting for $OUT/.lock ..." >&2
  flock 9
fi

T0=$(now)
echo "build.sh: using $("$GO" version) with -p $JOBS; output $BIN" >&2

# ---- kubernetes ------------------------------------------------------------
build_kubernetes() {
  local t dir="$SRC/kubernetes" minor gomod commit ver staging
  t=$(now)
  ver="${K8S_VERSION#v}"                     # 1.37.2
  minor="${ver#*.}"; minor="${minor%%.*}"      # 37
  staging="v0.${ver#*.}"                       # v0.37.2
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  cat >go.mod <<EOF
module k8slab.local/controlplane/kubernetes

go 1.26

require k8s.io/kubernetes $K8S_VERSION
EOF
  echo "build.sh: [kubernetes $K8S_VERSION] downloading k8s.io/kubernetes ..." >&2
  local info
  info="$("$GO" mod download -json "k8s.io/kubernetes@$K8S_VERSION")" \
    || die "go mod download k8s.io/kubernetes@$K8S_VERSION failed:
$info"
  gomod="$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$info" | head -1)"
  commit="$(sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]*\)",\{0,1\}$/\1/p' <<<"$info" | head -1)"
  [[ -f "$gomod" ]] || die "could not locate go.mod of k8s.io/kubernetes@$K8S_VERSION in: $info"
  # Every staging module (replaced by ./staging/src/... upstream) is pinned to its published tag.
  local mods=() m
  mapfile -t mods < <(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$gomod")
  [[ ${#mods[@]} -gt 10 ]] || die "found only ${#mods[@]} staging modules in $gomod"
  local args=()
  for m in "${mods[@]}"; do args+=("-replace=$m=$m@$staging"); done
  "$GO" mod edit "${args[@]}"
  echo "build.sh: [kubernetes] pinned ${#mods[@]} staging modules to $staging" >&2
  local pkgs=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler)
  "$GO" get "${pkgs[@]/%/@$K8S_VERSION}" >&2 || die "go get of the kubernetes commands failed (see above)"
  local date ld="-s -w" p
  date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld+=" -X $p.gitCommit=${commit:-unknown} -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  echo "build.sh: [kubernetes] compiling kube-apiserver, kube-controller-manager, kube-scheduler (slow when cold) ..." >&2
  "$GO" build -mod=mod -p "$JOBS" -trimpath -ldflags "$ld" -o "$BIN/" "${pkgs[@]}" >&2 \
    || die "go build of kubernetes $K8S_VERSION failed (see above)"
  record kubernetes "$K8S_VERSION"
  echo "build.sh: [kubernetes] done in $(elapsed "$t")" >&2
}

# ---- etcd ------------------------------------------------------------------
build_etcd() {
  local t dir="$SRC/etcd"
  t=$(now)
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  cat >go.mod <<EOF
module k8slab.local/controlplane/etcd

go 1.26

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOF
  echo "build.sh: [etcd $ETCD_VERSION] compiling ..." >&2
  "$GO" get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2 || die "go get go.etcd.io/etcd/server/v3@$ETCD_VERSION failed"
  "$GO" build -mod=mod -p "$JOBS" -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3 >&2 \
    || die "go build of etcd $ETCD_VERSION failed (see above)"
  record etcd "$ETCD_VERSION"
  echo "build.sh: [etcd] done in $(elapsed "$t")" >&2
}

# ---- kwok ------------------------------------------------------------------
build_kwok() {
  local t dir="$SRC/kwok"
  t=$(now)
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  cat >go.mod <<EOF
module k8slab.local/controlplane/kwok

go 1.26

require sigs.k8s.io/kwok $KWOK_VERSION
EOF
  echo "build.sh: [kwok $KWOK_VERSION] compiling ..." >&2
  "$GO" get "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2 || die "go get sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION failed"
  "$GO" build -mod=mod -p "$JOBS" -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" \
    -o "$BIN/kwok" sigs.k8s.io/kwok/cmd/kwok >&2 || die "go build of kwok $KWOK_VERSION failed (see above)"
  record kwok "$KWOK_VERSION"
  echo "build.sh: [kwok] done in $(elapsed "$t")" >&2
}

if ! { have kube-apiserver kubernetes "$K8S_VERSION" && have kube-controller-manager kubernetes "$K8S_VERSION" \
       && have kube-scheduler kubernetes "$K8S_VERSION"; }; then
  build_kubernetes
fi
have etcd etcd "$ETCD_VERSION" || build_etcd
have kwok kwok "$KWOK_VERSION" || build_kwok

echo "build.sh: all binaries ready in $(elapsed "$T0")" >&2
ls -l "$BIN" >&2
echo "$BIN"
