#!/usr/bin/env bash
# The end-to-end stage of .ci/run (docs/e2e.md): builds the e2e toolchain from the Go module proxy
# (or reuses ~/.cache/platform-e2e) within a time budget, then runs `npm run e2e`.
#
# - No Go toolchain, no openssl/unzip/git-http-backend, or no ../shared/upstream beside the
#   checkout: says so and exits 0 (the suite cannot run; nothing about the product is judged).
# - Time: E2E_TIME_LEFT_SECONDS (what CI has left, default 75 min) less the run's budget
#   (E2E_RUN_BUDGET_MINUTES, default 30) is the toolchain build's budget. A cold build that
#   exceeds it is stopped: the stage says so, with each binary's build time, and exits 0 (a later
#   run on the same machine resumes from the Go build cache).
# - Otherwise the suite runs and its result is the stage's result.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v go > /dev/null; then
  echo "e2e not run: no Go toolchain on this machine (the e2e binaries build from the Go module proxy)"
  exit 0
fi
for tool in openssl unzip git; do
  if ! command -v "$tool" > /dev/null; then
    echo "e2e not run: no $tool on this machine (the local control plane, the Helm binary and the Git server need it)"
    exit 0
  fi
done
if [[ ! -x "$(git --exec-path)/git-http-backend" ]]; then
  echo "e2e not run: git-http-backend is absent (the loopback Git server Flux pulls from runs it)"
  exit 0
fi
if [[ ! -d ../shared/upstream/components ]]; then
  echo "e2e not run: ../shared/upstream is absent (upstream component source and charts)"
  exit 0
fi

started=$SECONDS
run_budget=$((${E2E_RUN_BUDGET_MINUTES:-30} * 60))
build_budget=$((${E2E_TIME_LEFT_SECONDS:-4500} - run_budget))
if [[ $build_budget -lt 300 ]]; then
  echo "e2e not run: $((build_budget + run_budget)) s left, less than the run's budget and 5 minutes of build"
  exit 0
fi
echo "--- e2e toolchain (budget $((build_budget / 60)) min)"
status=0
timeout --kill-after=30 "$build_budget" tools/e2e/build-toolchain.sh || status=$?
echo "--- e2e toolchain: $((SECONDS - started)) s"
if [[ $status -eq 124 || $status -eq 137 ]]; then
  echo "e2e not run: the toolchain's cold build exceeded its budget of $((build_budget / 60)) minutes (times above)"
  exit 0
elif [[ $status -ne 0 ]]; then
  # The module proxy or the network, most often: reported, not judged as the product's failure.
  echo "e2e not run: the toolchain build failed (exit $status, its log above)"
  exit 0
fi

run_started=$SECONDS
timeout --kill-after=60 "$run_budget" npm run --silent e2e
echo "--- e2e run: $((SECONDS - run_started)) s"
