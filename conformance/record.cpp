#include "conformance/record.h"

#include <algorithm>

namespace th::conform {

int64_t StreamRecord::watched_until_ms(int64_t run_end_ms) const {
  int64_t t = run_end_ms;
  if (ended_ms) t = std::min(t, *ended_ms);
  if (closed_ms) t = std::min(t, *closed_ms);
  if (stalled_ms) t = std::min(t, *stalled_ms);
  return t;
}

bool StreamRecord::watched(int64_t t_ms, size_t by_step, int64_t run_end_ms) const {
  const int64_t until = watched_until_ms(run_end_ms);
  if (t_ms != until) return t_ms < until;
  const bool cut_by_client = (closed_ms && *closed_ms == until) || (stalled_ms && *stalled_ms == until);
  return !cut_by_client || by_step < cut_step;
}

}  // namespace th::conform
