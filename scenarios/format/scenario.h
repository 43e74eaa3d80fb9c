#pragma once
// Scenario format v1 (scenarios/README.md): clients, timed protocol-level steps and
// the expectations they must meet. Parsing is strict: any unknown field, wrong type
// or bad value is a ScenarioError naming the file and the JSON path.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace th {

using json = nlohmann::json;

class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ServerConfig {
  std::string stale_status_version = "reject";  // reject | ignore
  int64_t stream_queue_capacity = 1024;
  int64_t listen_hold_ms = 300'000;
  int64_t query_page_size = 100;
  int64_t max_body_bytes = 1 << 20;
  int64_t start_time_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
};

struct ClientSpec {
  std::string token;        // "" sends no Authorization header
  bool authorized = true;   // false: the server is not told this token
};

// How much weight a hand-written expectation carries (design.md, "Levels"). A scenario
// illustrates rules; where one of its expectations encodes our decision (SHOULD) or a
// preference among legal answers (MAY), a mismatch is reported at that level, so a
// correct server that chose differently still passes. MUST is the default.
enum class ExpectLevel { kMust, kShould, kMay };
const char* to_name(ExpectLevel l);

struct FieldLevel {
  ExpectLevel level = ExpectLevel::kMust;
  std::string basis;  // what the level rests on: a decision or a preference, cited
};
// Field name ("status", "task_events", ...) -> its level; fields not named are MUST.
// Written in a scenario as "levels": {"status": "MAY <basis>"}.
using FieldLevels = std::map<std::string, FieldLevel>;

struct ResponseExpect {
  FieldLevels levels;
  std::optional<int> status;
  std::optional<json> body;        // every field given must match (subset)
  std::optional<json> body_exact;  // the whole body
  std::optional<int64_t> t_ms;     // when the answer arrives (long polls)
};

// A body field set, when the step is sent, from an earlier step's answer: that answer's
// timestamp at `field` plus plus_ms. Boundaries at the very millisecond a task changed
// can then be staged on any server's clock, not only on a test clock.
struct TimeFrom {
  std::vector<std::string> body_path;  // "updateTimeRange.startTime" -> {"updateTimeRange", "startTime"}
  std::string step;                    // the id of an earlier step
  std::vector<std::string> field;      // where the time is in its answer ("lastUpdateTime")
  int64_t plus_ms = 0;
};

struct Step {
  size_t index = 0;
  std::string path;  // "$.steps[3]", for messages
  std::string id;    // optional name, e.g. for page_token_from
  int64_t at_ms = 0;
  std::string client;
  std::string action;  // the "do" field
  std::optional<json> body;
  std::string body_text;  // raw body ("http" only)
  bool has_body_text = false;
  std::string task_id;
  std::string stream;
  std::string method;        // "http" only
  std::string target;        // "http" only
  std::string content_type;  // "http" only
  std::string page_token_from;
  // With page_token_from: the step is not played when the page it continues was the
  // last one (an empty nextPageToken) or was not played itself, so a scenario can walk
  // a query's pages whatever the server's page size.
  bool if_more_pages = false;
  std::vector<TimeFrom> times_from;
  std::optional<ResponseExpect> expect;
};

struct StreamExpect {
  std::string path;
  FieldLevels levels;  // also "end": the end, or that the server must not end it
  std::optional<std::vector<json>> task_events;
  std::optional<std::vector<json>> agent_requests;
  std::optional<std::vector<json>> frames;
  std::optional<std::vector<int64_t>> heartbeats_ms;
  std::vector<json> never;
  std::optional<json> end;  // {"t_ms"?, "reason"}; absent: the server must not end it
};

struct Scenario {
  std::string file;
  std::string name;
  std::string title;
  std::string description;
  std::vector<std::string> rules;
  // Times that only a test clock can stage (ms-exact boundaries): real-time play skips it.
  bool needs_test_clock = false;
  std::string needs_test_clock_why;
  ServerConfig server;
  std::map<std::string, ClientSpec> clients;
  std::vector<Step> steps;
  int64_t end_ms = 0;
  std::map<std::string, StreamExpect> expect_streams;
};

// Keys a stream-message pattern may use; see scenarios/README.md.
const std::vector<std::string>& pattern_keys();

Scenario parse_scenario(const std::string& text, const std::string& file);
// The same checks on a document already parsed (generated workloads are built as JSON).
Scenario parse_scenario_json(const json& doc, const std::string& file);
Scenario load_scenario(const std::string& file);

}  // namespace th
