#pragma once
// Cassettes: one scenario's live run, recorded so it can be judged again offline
// (`taskconform run --record DIR`, `tasksim replay`). A cassette is one JSON document
// of a versioned format (fixtures/README.md documents it): the scenario as played,
// everything the runner sent and observed (the rules' input), each stream's body as
// it arrived chunk by chunk, the calibration, the tool's version, the seed, and the
// verdicts given live. Tokens are never in it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "conformance/live_player.h"
#include "conformance/record.h"
#include "conformance/rules.h"

namespace th::conform {

inline constexpr int kCassetteFormat = 1;

struct CassetteInfo {
  std::string tool;         // "taskconform 0.1.0"
  std::string target;       // the URL, or "embedded reference server"
  std::string mutant;       // the embedded server's deliberate bug, or ""
  std::optional<uint64_t> seed;
  std::vector<std::string> secrets;  // written nowhere: replaced by "[REDACTED]"
};

struct Cassette {
  int format = kCassetteFormat;
  nlohmann::json header;    // tool, target, mutant, seed, recordedVerdict, reason, failures
  nlohmann::json scenario;  // the scenario file as played
  RunRecord record;
  std::map<std::string, ObservedStream> observed;
  nlohmann::json wire;      // see ScenarioRun::wire
  std::map<std::string, std::string> verdicts;  // rule ID -> PASS/FAIL/INCONCLUSIVE (applicable rules)
};

nlohmann::json to_json(const RunRecord& r);
RunRecord run_record_from_json(const nlohmann::json& j);  // throws nlohmann::json::exception

// Each applicable rule's outcome over one record: what a cassette keeps and replay
// compares.
std::map<std::string, std::string> rule_outcomes(const RunRecord& r);
std::map<std::string, std::string> rule_outcomes(const std::vector<JudgedRule>& judged);

// The scenario's findings below MUST, as a cassette keeps them, and back.
nlohmann::json findings_json(const std::vector<ExpectFailure>& findings);
std::vector<ExpectFailure> findings_from_json(const nlohmann::json& j);

nlohmann::json make_cassette(const nlohmann::json& scenario, const ScenarioRun& run, const CassetteInfo& info);

// Reads a cassette; nullopt with a message naming the file and what is wrong (a
// newer or older format is refused, never judged).
std::optional<Cassette> read_cassette(const std::string& path, std::string& error);

// The events the chunks make when parsed again: the check that a cassette's bytes
// and its record agree (empty when they do).
std::vector<std::string> check_wire(const Cassette& c);

}  // namespace th::conform
