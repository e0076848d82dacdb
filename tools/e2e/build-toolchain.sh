#!/usr/bin/env bash
# Builds the pinned binaries `npm run e2e` needs from the Go module proxy into a cache outside the
# checkout, keyed by name and version: ${PLATFORM_E2E_CACHE:-~/.cache/platform-e2e}/<name>-<version>/.
# A binary already in the cache is reused. Prints what it builds and how long each build took.
#
# Usage: tools/e2e/build-toolchain.sh [--check] [name...]   (default: every binary)
#   --check: build nothing; exit 0 when every named binary is cached, 1 (listing the missing) if not.
# Versions come from package.json (@pulumi/pulumi, @pulumi/kubernetes) and tools/e2e/versions.env.
# Each build is a throw-away wrapper module that requires the upstream module at the pinned version
# and copies the upstream go.mod's non-local `replace` directives (local ones such as
# `sdk/v3 => ../sdk` or Kubernetes' staging modules are pinned to their published versions instead).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${PLATFORM_E2E_CACHE:-$HOME/.cache/platform-e2e}"
proxy="$(go env GOPROXY)"
proxy="${proxy%%,*}"
# shellcheck source=versions.env
source "$here/versions.env"
mkdir -p "$cache"

pkg_version() { node -p "require('$root/package.json').dependencies['$1'] || require('$root/package.json').devDependencies['$1']"; }
# E2E_PULUMI_VERSION / E2E_KUBERNETES_PROVIDER_VERSION override package.json (to prepare a bump).
PULUMI_VERSION="v${E2E_PULUMI_VERSION:-$(pkg_version @pulumi/pulumi)}"
KUBERNETES_PROVIDER_VERSION="v${E2E_KUBERNETES_PROVIDER_VERSION:-$(pkg_version @pulumi/kubernetes)}"

# Go builds are heavy and the machine may be shared: low priority, bounded parallelism.
export GOFLAGS="${GOFLAGS:-} -buildvcs=false -trimpath -p=${E2E_GO_PARALLEL:-2}"
export CGO_ENABLED=0
nice_cmd=(nice -n "${E2E_NICE:-15}")

log() { printf '[toolchain] %s\n' "$*" >&2; }

# The upstream go.mod's replace directives. A local one (`sdk/v3 => ../sdk`, Kubernetes'
# `k8s.io/api => ./staging/src/k8s.io/api`, Flux's `.../api => ./api`) points into the upstream
# checkout, which a module download does not have: it is dropped when upstream also requires a
# published version of that module (the require then stands), otherwise it becomes the published
# module at $LOCAL_REPLACE_VERSION (default: the version being built).
upstream_replaces() { # module version
  curl -fsS "$proxy/$1/@v/$2.mod" | awk -v local_version="${LOCAL_REPLACE_VERSION:-$2}" '
    /^require *\(/ { reqblock = 1; next }
    reqblock && /^\)/ { reqblock = 0; next }
    reqblock || /^require / { line = $0; sub(/^require /, "", line); split(line, f, " "); required[f[1]] = f[2] }
    /^replace *\(/ { block = 1; next }
    block && /^\)/ { block = 0; next }
    block || /^replace / {
      line = $0; sub(/^replace /, "", line); sub(/^[ \t]+/, "", line)
      replaces[++n] = line
    }
    END {
      for (i = 1; i <= n; i++) {
        split(replaces[i], parts, / *=> */); split(parts[1], from, " ")
        if (parts[2] ~ /FORBIDDEN_DEPENDENCY/) continue  # etcd: guard against bad imports
        if (parts[2] ~ /^\.\.?\//) {
          if (required[from[1]] != "" && required[from[1]] !~ /^v0\.0\.0/) continue
          print "replace " from[1] " => " from[1] " " local_version
        } else print "replace " replaces[i]
      }
    }'
}

# build NAME VERSION MODULE@VERSION PACKAGE [extra go.mod lines] — builds PACKAGE into the cache.
build() {
  local name=$1 version=$2 require=$3 package=$4 extra=${5:-}
  local dir="$cache/$name-$version" bin="$cache/$name-$version/$name"
  if [[ -x "$bin" ]]; then
    log "$name $version: cached at $bin"
    return
  fi
  log "$name $version: building $package from $require"
  local work="$cache/build/$name-$version"
  rm -rf "$work" && mkdir -p "$work" "$dir"
  local started=$SECONDS
  (
    cd "$work"
    {
      echo "module platform-e2e/$name"
      echo
      echo "go 1.26"
      echo
      upstream_replaces "${require%@*}" "${require#*@}"
      printf '%s\n' "$extra"
    } > go.mod
    if [[ -f "$here/main/$name.go" ]]; then cp "$here/main/$name.go" main.go; fi
    "${nice_cmd[@]}" go get "$require" > build.log 2>&1
    if [[ -n "${PREPARE:-}" ]]; then "$PREPARE" "$(go list -m -f '{{.Dir}}' "${require%@*}")" >> build.log 2>&1; fi
    if [[ -f main.go ]]; then
      "${nice_cmd[@]}" go mod tidy >> build.log 2>&1
      target=.
    else
      "${nice_cmd[@]}" go get "$package@${require#*@}" >> build.log 2>&1 || true
      target=$package
    fi
    "${nice_cmd[@]}" go build -ldflags "-s -w ${LDFLAGS:-}" -o "$bin.tmp" "$target" >> build.log 2>&1
  ) || { log "$name $version: FAILED, see $work/build.log"; tail -n 30 "$work/build.log" >&2; return 1; }
  mv "$bin.tmp" "$bin"
  log "$name $version: built in $((SECONDS - started))s -> $bin"
  echo "$((SECONDS - started))" > "$dir/build-seconds"
}

# build_local NAME VERSION DIR [go.mod lines] — builds the Go package in DIR (a module of this repo).
build_local() {
  local name=$1 version=$2 src=$3 extra=${4:-}
  local dir="$cache/$name-$version" bin="$cache/$name-$version/$name"
  local hash
  hash=$(cat "$src"/*.go | sha256sum | cut -c1-12)
  bin="$dir/$name-$hash"
  if [[ -x "$bin" ]]; then
    log "$name $version: cached at $bin"
    ln -sf "$(basename "$bin")" "$dir/$name"
    return
  fi
  log "$name $version: building $src"
  local work="$cache/build/$name-$version"
  rm -rf "$work" && mkdir -p "$work" "$dir"
  local started=$SECONDS
  (
    cd "$work"
    cp "$src"/*.go .
    printf 'module platform-e2e/%s\n\ngo 1.26\n\n%s\n' "$name" "$extra" > go.mod
    "${nice_cmd[@]}" go mod tidy > build.log 2>&1
    "${nice_cmd[@]}" go build -ldflags "-s -w" -o "$bin.tmp" . >> build.log 2>&1
  ) || { log "$name $version: FAILED, see $work/build.log"; tail -n 30 "$work/build.log" >&2; return 1; }
  mv "$bin.tmp" "$bin"
  ln -sf "$(basename "$bin")" "$dir/$name"
  log "$name $version: built in $((SECONDS - started))s -> $dir/$name"
}

build_pulumi() {
  LDFLAGS="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    build pulumi "$PULUMI_VERSION" "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "require github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION"
}

build_language_nodejs() {
  # The Node.js language host module is not served by the module proxy (see docs/e2e.md): the
  # toolchain builds tools/e2e/language-nodejs, a minimal language host on the pinned sdk/v3.
  build_local language-nodejs "$PULUMI_VERSION" "$here/language-nodejs" \
    "require github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION"
}

# The provider's main embeds its committed schema: copy it next to our main.
copy_kubernetes_schema() {
  cp "$1/cmd/pulumi-resource-kubernetes/schema.json" "$1/cmd/pulumi-resource-kubernetes/terraform-mapping.json" .
  chmod u+w schema.json terraform-mapping.json
}

build_kubernetes_provider() {
  PREPARE=copy_kubernetes_schema \
    LDFLAGS="-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${KUBERNETES_PROVIDER_VERSION#v}" \
    build pulumi-resource-kubernetes "$KUBERNETES_PROVIDER_VERSION" \
    "github.com/pulumi/pulumi-kubernetes/provider/v4@$KUBERNETES_PROVIDER_MODULE_VERSION" main
}

build_etcd() {
  build etcd "$ETCD_VERSION" "go.etcd.io/etcd/server/v3@$ETCD_VERSION" main
}

kubernetes_ldflags() {
  local v=${KUBERNETES_VERSION#v} pkg=k8s.io/component-base/version
  echo "-X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=${v%%.*} -X $pkg.gitMinor=$(echo "$v" | cut -d. -f2) -X $pkg.gitTreeState=clean"
}

build_kube_apiserver() {
  LOCAL_REPLACE_VERSION="v0.${KUBERNETES_VERSION#v1.}" LDFLAGS="$(kubernetes_ldflags)" \
    build kube-apiserver "$KUBERNETES_VERSION" "k8s.io/kubernetes@$KUBERNETES_VERSION" \
    k8s.io/kubernetes/cmd/kube-apiserver
}

build_kube_controller_manager() {
  LOCAL_REPLACE_VERSION="v0.${KUBERNETES_VERSION#v1.}" LDFLAGS="$(kubernetes_ldflags)" \
    build kube-controller-manager "$KUBERNETES_VERSION" "k8s.io/kubernetes@$KUBERNETES_VERSION" \
    k8s.io/kubernetes/cmd/kube-controller-manager
}

build_source_controller() {
  # source-controller requires github.com/fluxcd/pkg/artifact at a version the proxy does not serve:
  # the nearest served patch release stands in (versions.env, docs/e2e.md).
  build source-controller "$SOURCE_CONTROLLER_VERSION" \
    "github.com/fluxcd/source-controller@$SOURCE_CONTROLLER_VERSION" github.com/fluxcd/source-controller \
    "replace github.com/fluxcd/pkg/artifact => github.com/fluxcd/pkg/artifact $FLUX_PKG_ARTIFACT_VERSION"
}

build_kustomize_controller() {
  build kustomize-controller "$KUSTOMIZE_CONTROLLER_VERSION" \
    "github.com/fluxcd/kustomize-controller@$KUSTOMIZE_CONTROLLER_VERSION" github.com/fluxcd/kustomize-controller
}

build_helm_controller() {
  build helm-controller "$HELM_CONTROLLER_VERSION" \
    "github.com/fluxcd/helm-controller@$HELM_CONTROLLER_VERSION" github.com/fluxcd/helm-controller
}

check=false
if [[ "${1:-}" == "--check" ]]; then
  check=true
  shift
fi
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(pulumi language-nodejs kubernetes-provider etcd kube-apiserver kube-controller-manager source-controller kustomize-controller helm-controller)
if $check; then
  # Each build function returns early, printing "cached", when its binary is present.
  build() { [[ -x "$cache/$1-$2/$1" ]] || { log "$1 $2: not built"; return 1; }; log "$1 $2: cached"; }
  build_local() { [[ -x "$cache/$1-$2/$1" ]] || { log "$1 $2: not built"; return 1; }; log "$1 $2: cached"; }
  missing=0
  for t in "${targets[@]}"; do "build_${t//-/_}" || missing=1; done
  exit $missing
fi
for t in "${targets[@]}"; do
  "build_${t//-/_}"
done
