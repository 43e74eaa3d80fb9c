#include "conformance/limits.h"

#include <algorithm>
#include <cctype>
#include <mutex>

namespace th::conform {
namespace {

std::mutex g_mu;
Limits g_limits;

struct Option {
  const char* flag;
  const char* what;
  int64_t min, max;
  int64_t Limits::*ms = nullptr;
  size_t Limits::*size = nullptr;
  int Limits::*count = nullptr;
};

const std::vector<Option>& options() {
  static const std::vector<Option> o = {
      {"--max-http-line-bytes", "bytes of an HTTP status or header line", 256, 1 << 20, nullptr, &Limits::http_line_bytes_max},
      {"--max-header-bytes", "bytes of an answer's headers", 1024, 16 << 20, nullptr, &Limits::http_header_bytes_max},
      {"--max-body-bytes", "bytes of an answer's body", 1024, int64_t{1} << 32, nullptr, &Limits::body_bytes_max},
      {"--max-sse-line-bytes", "bytes of one SSE line", 256, int64_t{1} << 32, nullptr, &Limits::sse_line_bytes_max},
      {"--max-sse-event-bytes", "bytes of one SSE event's data", 256, int64_t{1} << 32, nullptr, &Limits::sse_event_bytes_max},
      {"--max-stream-bytes", "bytes of one stream", 1024, int64_t{1} << 40, nullptr, &Limits::stream_bytes_max},
      {"--max-events-per-stream", "events of one stream", 1, 100'000'000, nullptr, &Limits::stream_events_max},
      {"--max-json-depth", "nesting depth of a JSON value", 8, 10'000, nullptr, &Limits::json_depth_max},
      {"--request-timeout-ms", "ms for one request and its answer", 100, 3'600'000, &Limits::request_ms_max},
      {"--max-stream-ms", "ms one stream may stay open", 100, 86'400'000, &Limits::stream_ms_max},
      {"--max-scenario-ms", "ms one scenario may take", 100, 86'400'000, &Limits::scenario_ms_max},
      {"--max-recorded-bytes", "bytes of a stream kept in a cassette", 0, int64_t{1} << 40, nullptr,
       &Limits::recorded_stream_bytes_max},
      {"--max-errors", "scenarios in ERROR before a --target run stops", 1, 1'000'000, nullptr, nullptr, &Limits::max_errors},
  };
  return o;
}

}  // namespace

Limits limits() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_limits;
}

void set_limits(const Limits& l) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_limits = l;
}

bool parse_limit_option(const std::vector<std::string>& args, size_t& i, Limits& l, std::string& error) {
  const auto it = std::find_if(options().begin(), options().end(), [&](const Option& o) { return args[i] == o.flag; });
  if (it == options().end()) return false;
  const std::string v = i + 1 < args.size() ? args[++i] : "";
  const bool digits = !v.empty() && v.size() <= 15 && std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  const int64_t n = digits ? std::stoll(v) : -1;
  if (!digits || n < it->min || n > it->max) {
    error = std::string(it->flag) + " takes " + std::to_string(it->min) + ".." + std::to_string(it->max) + " (" + it->what + ")";
    return true;
  }
  if (it->ms) l.*(it->ms) = n;
  if (it->size) l.*(it->size) = static_cast<size_t>(n);
  if (it->count) l.*(it->count) = static_cast<int>(n);
  return true;
}

std::string limits_usage() {
  const Limits d;
  std::string out = "  Bounds on what a target may send (each hit is an error naming its option):\n";
  for (const Option& o : options()) {
    const int64_t v = o.ms ? d.*(o.ms) : o.size ? static_cast<int64_t>(d.*(o.size)) : d.*(o.count);
    out += "    " + std::string(o.flag) + " N  " + o.what + " (default " + std::to_string(v) + ")\n";
  }
  return out;
}

}  // namespace th::conform
