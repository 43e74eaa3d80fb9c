#pragma once
// Checking a scenario's hand-written expectations against what the clients observed.
// Shared by the simulator's player and the conformance runner's live player, so a
// scenario means the same thing against the model and against a real server.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenarios/format/scenario.h"

namespace th {

using json = nlohmann::json;

// True when `actual` has every field of `pattern` with an equal (or, for objects,
// recursively matching) value; arrays match element by element and in length.
bool json_subset_match(const json& pattern, const json& actual);

// The fields of one SSE event's data that patterns can name (scenarios/README.md).
json flatten_stream_data(const json& data, int64_t t_ms);

// What one client saw on one stream: flattened messages in order, and how it ended.
struct ObservedStream {
  std::vector<json> messages;
  std::optional<json> end;  // {"t_ms","reason"} when the server ended it
};

// One expectation that did not hold, at the level its field carries.
struct ExpectFailure {
  std::string text;
  ExpectLevel level = ExpectLevel::kMust;
  std::string basis;  // empty for MUST
  // "text", or "SHOULD (basis): text" below MUST.
  std::string describe() const;
};

// Failures of a step's `expect` for the answer it got (t_ms: when it arrived).
// real_time: played on the wall clock, where an expected time is nominal and latency
// is no verdict (design.md, "Real time"): t_ms values check order only (a list is in
// order by its position), `never` patterns and `end` match content fields only,
// heartbeats_ms and a long poll's answer time are left to the timing rules, and an
// RFC 3339 timestamp in a body matches any valid one. In virtual time all is exact.
std::vector<ExpectFailure> check_response(const Step& s, int status, const json& body, int64_t t_ms,
                                          bool real_time = false);

// Failures of every `expect_streams` entry; streams absent from `seen` never opened.
std::vector<ExpectFailure> check_streams(const Scenario& sc, const std::map<std::string, ObservedStream>& seen,
                                         bool real_time = false);

}  // namespace th
