#pragma once
// A scenario step as the HTTP request a client sends (the lattice-rest dialect's
// paths). Shared by the simulator's player and the live player, so a step means the
// same request to the model and to a real server.
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

// page_token: the nextPageToken of the step named by page_token_from ("" if none).
WireRequest step_request(const Scenario& sc, const Step& s, const std::string& page_token);

}  // namespace th
