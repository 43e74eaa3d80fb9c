#pragma once
// What the runner makes of a body or an event's data a target sent, before any rule:
// its JSON (within --max-json-depth) or its text made safe, and whether it is
// something the scenario cannot go on with. The live player and the fuzzer both read
// through here.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace th::conform {

struct Ingested {
  nlohmann::json value;  // the JSON, or (not JSON) the text as shown() makes it; null when empty
  bool is_json = false;
  std::string why_not;   // not JSON: what the parser said
  // Ends the scenario in ERROR, naming the JSON path and what was seen (or the bound).
  std::optional<std::string> problem;
};

// A body or data as it came: parsed, or kept as safe text.
Ingested ingest_text(const std::string& text);

// An answer's body to a scenario step of this action. A 2xx body to a step the runner
// reads (a task, a query page, a listen's answer, a frame) must be JSON of its shape; a
// 4xx body that is not {code, message} is ERR-003's to judge, not a problem; JSON too
// deep is a problem at any status.
Ingested ingest_body(const std::string& action, int status, const std::string& text);

// One SSE event's data. Data that is not JSON, or not an object, is SSE-002's verdict
// (is_json / value tell); too deep, or a field of the wrong type, is a problem.
Ingested ingest_event(const std::string& data);

}  // namespace th::conform
