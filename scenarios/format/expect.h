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
// tolerance_ms: how far an observed time may be from an expected one; 0 in virtual
// time, the calibrated tolerance in real time.
std::vector<ExpectFailure> check_response(const Step& s, int status, const json& body, int64_t t_ms,
                                        int64_t tolerance_ms = 0);

// Failures of every `expect_streams` entry; streams absent from `seen` never opened.
std::vector<ExpectFailure> check_streams(const Scenario& sc, const std::map<std::string, ObservedStream>& seen,
                                       int64_t tolerance_ms = 0);

}  // namespace th
