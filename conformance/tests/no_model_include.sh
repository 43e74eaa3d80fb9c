#!/usr/bin/env bash
# The oracle must not share code with the model: no file of th_conform (everything in
# conformance/ but main.cpp, which may start the reference server) includes sim/.
set -euo pipefail
dir=$1
hits=$(grep -rln '#include "sim/' "$dir" --include='*.h' --include='*.cpp' | grep -v "^$dir/main.cpp$" || true)
if [[ -n $hits ]]; then
  echo "these conformance files include the model:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "no conformance library file includes sim/"
