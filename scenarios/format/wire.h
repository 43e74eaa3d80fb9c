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

// responses_by_id: the answer bodies of earlier steps that have an id, for
// page_token_from (the named step's nextPageToken, "" when it has none).
WireRequest step_request(const Scenario& sc, const Step& s, const std::map<std::string, nlohmann::json>& responses_by_id);

}  // namespace th
