#pragma once
// Running a scenario on a shared, long-lived server: every task id it names is made
// unique to the run (a short tag in front), and every timestamp it writes is moved
// to the server's own clock. The player then judges only the run's own tasks.
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "scenarios/format/scenario.h"

namespace th::conform {

struct Isolated {
  Scenario scenario;
  std::set<std::string> task_ids;  // the run's own ids, after the rewrite
};

// tag: a few characters of [a-z0-9]; shift_ms: the server's time at scenario time 0
// minus the scenario's start_time. nullopt (and the reason) when an id cannot be made
// unique without breaking the id rule (more than 36 characters).
std::optional<Isolated> isolate(const Scenario& sc, const std::string& tag, int64_t shift_ms, std::string& why);

// The server options a scenario needs that differ from a server's defaults ("" if none).
std::string non_default_server_options(const Scenario& sc);

}  // namespace th::conform
