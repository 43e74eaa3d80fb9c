# Sourced by the determinism checks: two heap environments that differ in every byte a
# program could read without writing it first, for whichever allocator serves the
# binary. tasksim links jemalloc, which ignores glibc's MALLOC_PERTURB_ and reads
# MALLOC_CONF (junk:true fills new blocks with 0xa5 and freed ones with 0x5a); the
# sanitizer build's allocator reads ASAN_OPTIONS malloc_fill_byte; glibc (a build
# without jemalloc) reads MALLOC_PERTURB_. Each run sets all three, so whichever is in
# use sees a different fill, and the address layout differs too (ASLR).
#   heap_env A|B -> prints the env assignments for run A or B
heap_env() {
  local asan=${ASAN_OPTIONS:-}
  [[ -n $asan ]] && asan="$asan:"
  case $1 in
    A) echo "MALLOC_CONF=junk:false MALLOC_PERTURB_=0 ASAN_OPTIONS=${asan}malloc_fill_byte=17" ;;
    B) echo "MALLOC_CONF=junk:true MALLOC_PERTURB_=165 ASAN_OPTIONS=${asan}malloc_fill_byte=90" ;;
  esac
}

# Which allocator serves the binary, for the log.
heap_allocator() {
  if ldd "$1" 2>/dev/null | grep -q jemalloc; then
    echo "jemalloc (MALLOC_CONF junk)"
  elif ldd "$1" 2>/dev/null | grep -q libasan; then
    echo "AddressSanitizer (malloc_fill_byte)"
  else
    echo "glibc (MALLOC_PERTURB_)"
  fi
}
