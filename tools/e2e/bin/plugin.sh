#!/usr/bin/env bash
# Runs one e2e provider plugin (tools/e2e/providers/<name>.ts) under Node.js with tsx. The engine
# finds it on PATH as pulumi-resource-<name> (a link to this script); see docs/e2e.md.
# Module resolution: the checkout's node_modules, then what the upstream eks/awsx source needs
# beyond them (E2E_COMPONENT_MODULES, installed by the e2e run outside the checkout).
set -euo pipefail
self="$(readlink -f "${BASH_SOURCE[0]}")"
here="$(dirname "$self")"
root="$(cd "$here/../../.." && pwd)"
name="$(basename "$0")"
name="${name#pulumi-resource-}"
export NODE_PATH="$root/node_modules${E2E_COMPONENT_MODULES:+:$E2E_COMPONENT_MODULES}${NODE_PATH:+:$NODE_PATH}"
# The upstream eks/awsx source is compiled with its own tsconfig (tsx otherwise uses the checkout's):
# upstream targets ES6/ES2017, where TypeScript class fields without an initializer are not emitted.
# Under the checkout's ES2022 target they are, and reset what the base constructor set: a component
# rehydrated from a resource reference (`new Cluster(name, undefined, { urn })`) loses every output
# (docs/e2e.md, "What the real components found").
components="${E2E_UPSTREAM_COMPONENTS:-$root/../shared/upstream/components}"
case "$name" in
  eks) export TSX_TSCONFIG_PATH="$components/pulumi-eks-v${E2E_EKS_VERSION:-4.3.0}/tsconfig.json" ;;
  awsx) export TSX_TSCONFIG_PATH="$components/pulumi-awsx-v${E2E_AWSX_VERSION:-3.8.0}/tsconfig.json" ;;
esac
node="$root/node_modules/.bin/node"
[[ -x "$node" ]] || node=node
exec "$node" --import "$root/node_modules/tsx/dist/loader.mjs" "$root/tools/e2e/providers/$name.ts" "$@"
