#include "conformance/record.h"

#include <algorithm>

namespace th::conform {

int64_t StreamRecord::watched_until_ms(int64_t run_end_ms) const {
  int64_t t = run_end_ms;
  if (ended_ms) t = std::min(t, *ended_ms);
  if (closed_ms) t = std::min(t, *closed_ms);
  return t;
}

}  // namespace th::conform
