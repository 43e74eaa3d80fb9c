#!/usr/bin/env bash
# Seeds the fuzz corpus from fixtures/cassettes and runs every target over its corpus
# (the ordinary build's targets replay inputs; no libFuzzer needed). Also replays the
# inputs kept in fuzz/corpus/NAME/ (regressions libFuzzer found), if any.
# usage: replay_corpus.sh ROOT CORPUS_DIR FUZZ_SSE FUZZ_HTTP FUZZ_CASSETTE FUZZ_TARGET_BYTES
set -uo pipefail
root=$1 corpus=$2
shift 2
python3 "$root/scripts/fuzz-corpus.py" "$root/fixtures" "$corpus" || exit 1
status=0
for bin in "$@"; do
  name=$(basename "$bin")
  name=${name#fuzz_}
  dirs=("$corpus/$name")
  [[ -d $root/fuzz/corpus/$name ]] && dirs+=("$root/fuzz/corpus/$name")
  if out=$("$bin" "${dirs[@]}" 2>"$corpus/$name.log"); then
    echo "fuzz $name: $out"
  else
    echo "FAIL: fuzz $name crashed on an input (the last named below):" >&2
    tail -5 "$corpus/$name.log" >&2
    status=1
  fi
done
exit $status
