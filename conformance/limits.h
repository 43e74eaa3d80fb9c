#pragma once
// Bounds on everything a target controls (design.md, "Every byte from a target is
// untrusted"). Each is an option of taskconform with a default that admits every
// legitimate server (a stream of 10,000 PREEXISTING events, a 31 MiB recording) and
// keeps memory and time bounded whatever a hostile one sends. A bound that is hit is
// an error naming its option, never a silent cut.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace th::conform {

struct Limits {
  // HTTP: the status line and one header line; all header bytes of one answer.
  size_t http_line_bytes_max = 8 << 10;        // --max-http-line-bytes
  size_t http_header_bytes_max = 64 << 10;     // --max-header-bytes
  size_t body_bytes_max = 16 << 20;            // --max-body-bytes (a plain answer)
  // SSE: one line, one event's data, every byte and every event of one stream.
  size_t sse_line_bytes_max = 1 << 20;         // --max-sse-line-bytes
  size_t sse_event_bytes_max = 4 << 20;        // --max-sse-event-bytes
  size_t stream_bytes_max = 64 << 20;          // --max-stream-bytes
  size_t stream_events_max = 20'000;           // --max-events-per-stream (10,000 PREEXISTING fit)
  size_t json_depth_max = 64;                  // --max-json-depth
  // Time: one request from its first byte sent to its last byte read, and one stream
  // from its request to its end (a stream still open then is closed and that is an
  // error). Every other wait of the runner is bounded by one of them.
  int64_t request_ms_max = 10'000;             // --request-timeout-ms
  int64_t stream_ms_max = 180'000;             // --max-stream-ms
  int64_t scenario_ms_max = 300'000;           // --max-scenario-ms (a scenario from start to end)
  // What a cassette keeps of each stream's bytes (--record); more is marked truncated.
  size_t recorded_stream_bytes_max = 16 << 20;  // --max-recorded-bytes
  // Scenarios against a --target that may end in ERROR before the rest are not played
  // (a broken target has shown what it is; the run ends within its time bound).
  int max_errors = 5;                          // --max-errors
};

// The runner's limits (a copy: set once from the command line, before any request).
Limits limits();
void set_limits(const Limits& l);

// One limit option: args[i] is a flag; when it names a limit, its value (args[i+1]) is
// parsed into l, i is moved past it and true returned (error set when the value is
// bad). False: not a limit option.
bool parse_limit_option(const std::vector<std::string>& args, size_t& i, Limits& l, std::string& error);

// The options and their defaults, for --help.
std::string limits_usage();

}  // namespace th::conform
