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

Auth auth_of(const Scenario& sc, const std::string& client) {
  auto it = sc.clients.find(client);
  if (it == sc.clients.end() || it->second.token.empty()) return Auth::kNone;
  return it->second.authorized ? Auth::kValid : Auth::kInvalid;
}

std::string stream_kind(const std::string& action) {
  if (action == "open_agent_stream") return "agent";
  if (action == "open_manual_control_stream") return "manual_control";
  if (action == "open_stream") return "tasks";
  return "";
}

}  // namespace th::conform
