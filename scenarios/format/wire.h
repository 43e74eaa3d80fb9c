#pragma once
// A scenario step as the HTTP request a client sends (the lattice-rest dialect's
// paths). Shared by the simulator's player and the live player, so a step means the
// same request to the model and to a real server.
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "scenarios/format/scenario.h"

namespace th {

struct WireRequest {
  std::string method;
  std::string target;
  std::string content_type;
  std::string authorization;  // "" sends none
  std::string body;
};

// True for the actions that are requests (not close/stall/resume/advance).
bool is_request_action(const std::string& action);

// True when the step is not to be played: it continues (if_more_pages) a page that
// was the last one or was not played itself. responses_by_id as for step_request.
bool step_skipped(const Step& s, const std::map<std::string, nlohmann::json>& responses_by_id);

// responses_by_id: the answer bodies of earlier steps that have an id, for
// page_token_from (the named step's nextPageToken, "" when it has none) and times_from
// (the named step's timestamp; a body field stays as written when the answer has none).
WireRequest step_request(const Scenario& sc, const Step& s, const std::map<std::string, nlohmann::json>& responses_by_id);

}  // namespace th
