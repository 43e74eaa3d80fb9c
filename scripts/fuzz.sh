#!/usr/bin/env bash
# Builds the libFuzzer targets with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer (in $TH_FUZZ_BUILD, default build-fuzz/), seeds each corpus
# from fixtures/cassettes, and runs each target for SECONDS (default 60), or for N
# executions with --runs N. Prints one line per target:
#   fuzz NAME: N execs, M crashes (R execs/s)
# and exits 1 when a target crashed (its input is kept in $TH_FUZZ_BUILD/artifacts/),
# 77 when clang or libFuzzer is missing.
# usage: fuzz.sh [SECONDS] | fuzz.sh --runs N
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=60 runs=""
if [[ ${1:-} == --runs ]]; then
  runs=${2:?--runs takes a number}
elif [[ -n ${1:-} ]]; then
  seconds=$1
fi
build=${TH_FUZZ_BUILD:-$root/build-fuzz}
targets=(sse_parser http_reader cassette target_bytes)

bash "$root/scripts/deps.sh" || true
if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "fuzz: clang and libFuzzer (Debian clang, libfuzzer-14-dev) are needed; skipped" >&2
  exit 77
fi
mkdir -p "$build"
if ! CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DTH_SANITIZE=address,undefined -DTH_LIBFUZZER=ON >"$build/configure.log" 2>&1; then
  cat "$build/configure.log" >&2
  exit 1
fi
if ! cmake --build "$build" -j 2 --target "${targets[@]/#/fuzz_}" >"$build/build.log" 2>&1; then
  tail -30 "$build/build.log" >&2
  exit 1
fi
python3 "$root/scripts/fuzz-corpus.py" "$root/fixtures" "$build/seeds" >/dev/null || exit 1
mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  mkdir -p "$corpus"
  before=$(ls "$build/artifacts" | grep -c "^$t-" || true)
  limit=(-max_total_time="$seconds")
  [[ -n $runs ]] && limit=(-runs="$runs")
  seeds=("$build/seeds/$t")
  [[ -d $root/fuzz/corpus/$t ]] && seeds+=("$root/fuzz/corpus/$t")
  max_len=16384  # a cassette needs room; bytes of one answer or stream do not
  [[ $t == cassette ]] && max_len=65536
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$build/fuzz/fuzz_$t" "${limit[@]}" -max_len=$max_len -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$t-" "$corpus" "${seeds[@]}" >"$build/$t.log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/$t.log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$build/$t.log" | tail -1)
  after=$(ls "$build/artifacts" | grep -c "^$t-" || true)
  crashes=$((after - before))
  [[ $rc -ne 0 && $crashes -eq 0 ]] && crashes=1  # a crash libFuzzer could not write out
  echo "fuzz $t: ${execs:-0} execs, $crashes crashes (${rate:-0} execs/s)"
  if [[ $crashes -gt 0 ]]; then
    grep -m3 -E "ERROR|fuzz property failed|runtime error|Test unit written" "$build/$t.log" >&2 || tail -20 "$build/$t.log" >&2
    status=1
  fi
done
exit $status
