#pragma once
// Builds the rules' input from a simulator trace (the canonical JSON Lines `tasksim run
// --trace` writes, its lines are documented in README.md, "tasksim"), so the same rules judge the model
// in virtual time. It reads the trace's documented format only, never the model's
// code: the oracle stays independent of what it checks.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "conformance/record.h"
#include "scenarios/format/scenario.h"

namespace th::conform {

// `lines` are the trace's lines, parsed, in order (their contents are taken). The
// record has no transport (`transport` false): a simulation has no bytes or headers.
RunRecord record_from_trace(const Scenario& sc, std::vector<nlohmann::json>&& lines);

}  // namespace th::conform
