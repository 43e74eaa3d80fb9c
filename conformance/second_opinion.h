#pragma once
// The second opinion: where a server's streams departed from the model's prediction
// for the same scenario. Diagnostics, not verdicts: the rules judge; a difference no
// rule explains points at a gap in the rules (or, in the simulator, at the model).
#include <map>
#include <string>
#include <vector>

#include "conformance/live_player.h"
#include "scenarios/format/expect.h"

namespace th::conform {

// Compares the task events, agent requests and frames of each stream, in order, by
// kind, type, task and version; with exact times too when both ran in virtual time.
std::vector<Departure> departures_from_model(const std::map<std::string, ObservedStream>& predicted,
                                             const std::map<std::string, ObservedStream>& observed, bool compare_times);

// The same, as one line each (the diagnostics the CLIs print).
std::vector<std::string> compare_with_model(const std::map<std::string, ObservedStream>& predicted,
                                            const std::map<std::string, ObservedStream>& observed, bool compare_times);

}  // namespace th::conform
