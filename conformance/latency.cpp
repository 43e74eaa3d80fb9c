#include "conformance/latency.h"

#include <algorithm>
#include <map>
#include <utility>

namespace th::conform {
namespace {

// (taskId, statusVersion) of a task JSON; empty id when it is not one.
std::pair<std::string, int64_t> version_of(const json& task) {
  if (!task.is_object()) return {"", 0};
  const auto v = task.find("version");
  if (v == task.end() || !v->is_object()) return {"", 0};
  const auto id = v->find("taskId");
  const auto sv = v->find("statusVersion");
  if (id == v->end() || !id->is_string() || sv == v->end()) return {"", 0};
  int64_t n = 0;
  if (sv->is_number_integer()) {
    n = sv->get<int64_t>();
  } else if (sv->is_string()) {
    const std::string& t = sv->get_ref<const std::string&>();
    if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos) return {"", 0};
    n = std::stoll(t);
  } else {
    return {"", 0};
  }
  return {id->get<std::string>(), n};
}

bool changes_a_task(const RequestRecord& q) {
  const std::string path = q.path.substr(0, q.path.find('?'));
  const bool create = q.method == "POST" && path == "/api/v1/tasks" && q.status == 201;
  const bool change = q.method == "PUT" && path.rfind("/api/v1/tasks/", 0) == 0 && q.status == 200 &&
                      (path.size() > 7 && (path.compare(path.size() - 7, 7, "/status") == 0 ||
                                           path.compare(path.size() - 7, 7, "/cancel") == 0));
  return create || change;
}

int64_t percentile(const std::vector<int64_t>& sorted, int p) {
  if (sorted.empty()) return 0;
  const size_t at = (sorted.size() - 1) * static_cast<size_t>(p) / 100;
  return sorted[at];
}

}  // namespace

std::vector<LatencySample> caused_events(const RunRecord& r, const StreamRecord& s) {
  std::vector<LatencySample> out;
  if (s.kind != "tasks" || s.status != 200) return out;
  std::map<std::pair<std::string, int64_t>, int64_t> sent;  // the first request that made each version
  for (const auto& q : r.requests) {
    if (!changes_a_task(q)) continue;
    const auto v = version_of(q.response);
    if (!v.first.empty()) sent.emplace(v, q.sent_ms);
  }
  for (const auto& e : s.events) {
    if (!e.data_is_json || !e.data.is_object()) continue;
    const auto te = e.data.find("taskEvent");
    if (te == e.data.end() || !te->is_object()) continue;
    const auto type = te->find("eventType");
    if (type == te->end() || !type->is_string()) continue;
    if (*type != "EVENT_TYPE_CREATED" && *type != "EVENT_TYPE_UPDATE") continue;
    const auto task = te->find("task");
    if (task == te->end()) continue;
    const auto it = sent.find(version_of(*task));
    if (it == sent.end() || e.t_ms < it->second) continue;
    // After the client stopped reading, when a message arrives is the client's doing.
    if (s.stalled_ms && e.t_ms >= *s.stalled_ms) continue;
    out.push_back({it->second, e.t_ms});
  }
  return out;
}

std::vector<int64_t> latency_samples(const RunRecord& r, const StreamRecord& s) {
  std::vector<int64_t> out;
  const auto limit = s.request.is_object() ? s.request.find("rateLimit") : s.request.end();
  const bool limited = s.request.is_object() && limit != s.request.end() && limit->is_number_integer() && limit->get<int64_t>() > 0;
  if (limited) return out;  // a window delays updates on purpose
  for (const auto& c : caused_events(r, s)) out.push_back(c.arrived_ms - c.cause_sent_ms);
  return out;
}

LatencyFigures figures_of(std::vector<int64_t> samples) {
  LatencyFigures f;
  f.count = samples.size();
  if (samples.empty()) return f;
  std::sort(samples.begin(), samples.end());
  f.p1_ms = percentile(samples, 1);
  f.p50_ms = percentile(samples, 50);
  f.p99_ms = percentile(samples, 99);
  f.max_ms = samples.back();
  return f;
}

int64_t tolerance_from(const std::vector<int64_t>& samples, int64_t floor_ms, int64_t fallback_ms) {
  if (samples.size() < kMinLatencySamples) return std::max(floor_ms, fallback_ms);
  const LatencyFigures f = figures_of(samples);
  return std::max(floor_ms, 2 * (f.p99_ms - f.p1_ms));
}

LatencyFigures apply_run_tolerance(const std::vector<RunRecord*>& records, int64_t floor_ms, int64_t fallback_ms) {
  // Samples by (record, stream), so each stream's tolerance can leave its own out.
  std::vector<std::vector<std::vector<int64_t>>> by_stream;
  std::vector<int64_t> all;
  for (const RunRecord* r : records) {
    by_stream.emplace_back();
    for (const auto& s : r->streams) {
      by_stream.back().push_back(r->virtual_time ? std::vector<int64_t>{} : latency_samples(*r, s));
      all.insert(all.end(), by_stream.back().back().begin(), by_stream.back().back().end());
    }
  }
  const int64_t run_tolerance = tolerance_from(all, floor_ms, fallback_ms);
  const int64_t run_p50_ms = figures_of(all).p50_ms;
  for (size_t i = 0; i < records.size(); ++i) {
    RunRecord& r = *records[i];
    if (r.virtual_time) continue;
    r.tolerance_ms = run_tolerance;
    for (size_t j = 0; j < r.streams.size(); ++j) {
      std::vector<int64_t> others = all;
      for (int64_t own : by_stream[i][j]) others.erase(std::find(others.begin(), others.end(), own));
      r.streams[j].tolerance_ms = tolerance_from(others, floor_ms, fallback_ms);
      const auto& own = by_stream[i][j];
      r.streams[j].latency_ms = own.empty() ? run_p50_ms : figures_of(own).p50_ms;
    }
  }
  return figures_of(all);
}

}  // namespace th::conform
