#!/usr/bin/env bash
# Installs the Debian 12 packages taskharness needs, and only those that are missing.
# This is the one list of the project's system dependencies.
set -euo pipefail

PACKAGES=(
  build-essential   # g++ 12, make
  cmake             # build and CTest
  pkg-config        # cpp-httplib ships only a pkg-config file
  ccache            # faster rebuilds; the build works without it
  catch2            # v2 unit test framework
  nlohmann-json3-dev
  libcpp-httplib-dev
  libssl-dev        # the runner's own HTTPS client (conformance/connection.cpp) links OpenSSL directly
  librapidcheck-dev
  libjemalloc-dev   # tasksim is allocation-bound: jemalloc judges ~25% more generated workloads a second
  chromium          # a real browser for the HTML report's DOM test
  python3           # reads report.json in that test
  clang             # scripts/fuzz.sh: libFuzzer targets are built with clang (ASan+UBSan)
  libfuzzer-14-dev  # libFuzzer itself, for clang 14 (Debian 12)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
