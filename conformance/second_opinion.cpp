#include "conformance/second_opinion.h"

namespace th::conform {
namespace {

bool heartbeat(const json& m) {
  auto it = m.find("event");
  return it != m.end() && it->is_string() && it->get_ref<const std::string&>() == "heartbeat";
}

std::vector<json> comparable(const ObservedStream& s, bool times) {
  std::vector<json> out;
  for (const json& m : s.messages) {
    if (heartbeat(m)) continue;  // cadence is the rules' business
    json key = json::object();
    for (const char* k : {"event", "eventType", "request", "taskId", "statusVersion", "status", "sequence"}) {
      if (m.contains(k)) key[k] = m[k];
    }
    if (times && m.contains("t_ms")) key["t_ms"] = m["t_ms"];
    out.push_back(std::move(key));
  }
  return out;
}

// The server's time of its n-th message other than heartbeats (or its last one).
int64_t time_of(const ObservedStream& s, size_t n) {
  int64_t t = 0;
  size_t i = 0;
  for (const json& m : s.messages) {
    if (heartbeat(m)) continue;
    if (auto at = m.find("t_ms"); at != m.end() && at->is_number_integer()) t = at->get<int64_t>();
    if (i++ == n) break;
  }
  return t;
}

}  // namespace

std::vector<Departure> departures_from_model(const std::map<std::string, ObservedStream>& predicted,
                                             const std::map<std::string, ObservedStream>& observed, bool compare_times) {
  std::vector<Departure> out;
  for (const auto& [name, model] : predicted) {
    auto it = observed.find(name);
    if (it == observed.end()) {
      out.push_back({name, 0, "stream \"" + name + "\": the model opened it; against the server it never opened"});
      continue;
    }
    const auto want = comparable(model, compare_times), got = comparable(it->second, compare_times);
    const size_t n = std::min(want.size(), got.size());
    size_t i = 0;
    while (i < n && want[i] == got[i]) ++i;
    if (i < n) {
      out.push_back({name, time_of(it->second, i),
                     "stream \"" + name + "\" message " + std::to_string(i) + ": the model predicts " + want[i].dump() +
                         ", the server sent " + got[i].dump()});
    } else if (want.size() != got.size()) {
      out.push_back({name, time_of(it->second, n),
                     "stream \"" + name + "\": the model predicts " + std::to_string(want.size()) +
                         " messages, the server sent " + std::to_string(got.size())});
    }
  }
  return out;
}

std::vector<std::string> compare_with_model(const std::map<std::string, ObservedStream>& predicted,
                                            const std::map<std::string, ObservedStream>& observed, bool compare_times) {
  std::vector<std::string> out;
  for (const auto& d : departures_from_model(predicted, observed, compare_times)) out.push_back(d.text);
  return out;
}

}  // namespace th::conform
