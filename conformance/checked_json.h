#pragma once
// Checked readers for what a target sends: JSON parsed with a depth limit, values read
// by path with their types checked, and the shapes the runner relies on (a task, an
// event's data, an answer's body) checked once where the bytes come in, so that every
// later reader (rules, expectations, reports) sees well-typed values. A problem is
// named by its JSON path and what was seen; nothing here throws.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace th::conform {

using json = nlohmann::json;

// Bytes from a target as text that is safe anywhere (a JSON string, XML, a terminal):
// valid UTF-8, control bytes and invalid bytes written as \xNN, at most max_bytes of
// the input, then "... (N more bytes)".
std::string shown(std::string_view bytes, size_t max_bytes = 200);

// Bytes that are not JSON, kept as a JSON string (shown(): valid UTF-8, bounded).
json text_value(std::string_view bytes, size_t max_bytes = 4096);

// One JSON document from a target. Nested deeper than depth_max, it is refused before
// it is parsed (a deep value would overflow the stack of every recursive reader).
struct JsonText {
  std::optional<json> value;
  std::string error;  // why not: not JSON (where, and what the parser said), or too deep
  bool too_deep = false;
};
JsonText read_json(std::string_view text, size_t depth_max, const char* depth_option = "--max-json-depth");

// The greatest nesting depth of the JSON text (brackets outside strings); stops
// counting at `stop_above`.
size_t json_depth(std::string_view text, size_t stop_above);

// What a value was, briefly: null, true, 5, "text", an object, an array of 3.
std::string seen(const json& v);

// A value by path, without copying; nullptr when a step is missing or not an object.
const json* find(const json& j, std::initializer_list<const char*> keys);
std::optional<std::string> string_at(const json& j, std::initializer_list<const char*> keys);
std::optional<int64_t> int_at(const json& j, std::initializer_list<const char*> keys);

// Shapes the runner relies on; nullopt when they hold, else "$.path: expected X, saw Y".
// A task: an object whose version.taskId is a string and statusVersion an integer,
// whose status.status is a string (each when present), and so on for the fields the
// rules read.
std::optional<std::string> task_problem(const json& task, const std::string& path = "$");
// One SSE event's data that is a JSON object (data that is not one breaks SSE-002, a
// verdict, not a shape problem): "event" a string, and the fields of its kind.
std::optional<std::string> event_problem(const json& data);
// A 2xx answer's body to a scenario step (by its action: create_task, query_tasks, ...).
std::optional<std::string> body_problem(const std::string& action, const json& body);

// Every string in j made valid UTF-8 (shown() without a bound); keys too.
void make_valid_utf8(json& j);

}  // namespace th::conform
