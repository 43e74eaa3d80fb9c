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
#include <string_view>
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

// A cassette is an untrusted file: read_cassette checks every value it holds (types,
// and that its scenario parses) and refuses it with the JSON path of the first that
// is wrong. These bounds keep a crafted one from exhausting the stack or memory.
inline constexpr size_t kCassetteDepthMax = 256;
inline constexpr uint64_t kCassetteBytesMax = uint64_t{1} << 30;

struct Cassette {
  int format = kCassetteFormat;
  nlohmann::json header;    // tool, target, mutant, seed, recordedVerdict, reason, failures
  // The header's fields, checked.
  std::string tool, target, mutant, recorded_verdict, reason;
  std::vector<std::string> failures;
  std::vector<ExpectFailure> findings;
  nlohmann::json scenario;  // the scenario file as played
  RunRecord record;
  std::map<std::string, ObservedStream> observed;
  nlohmann::json wire;      // see ScenarioRun::wire
  std::map<std::string, std::string> verdicts;  // rule ID -> PASS/FAIL/INCONCLUSIVE (applicable rules)
};

nlohmann::json to_json(const RunRecord& r);
// A record from its JSON, every value checked; nullopt and the JSON path of the first
// that is wrong.
std::optional<RunRecord> read_run_record(const nlohmann::json& j, std::string& error);

// Each applicable rule's outcome over one record: what a cassette keeps and replay
// compares.
std::map<std::string, std::string> rule_outcomes(const RunRecord& r);
std::map<std::string, std::string> rule_outcomes(const std::vector<JudgedRule>& judged);

// The scenario's findings below MUST, as a cassette keeps them, and back.
nlohmann::json findings_json(const std::vector<ExpectFailure>& findings);
std::vector<ExpectFailure> findings_from_json(const nlohmann::json& j);

nlohmann::json make_cassette(const nlohmann::json& scenario, const ScenarioRun& run, const CassetteInfo& info);

// Reads a cassette; nullopt with a message naming the file, the JSON path and what is
// wrong (a newer or older format is refused, never judged).
std::optional<Cassette> read_cassette(const std::string& path, std::string& error);
// The same from its text (no file).
std::optional<Cassette> parse_cassette(std::string_view text, std::string& error);

// The events the chunks make when parsed again: the check that a cassette's bytes
// and its record agree (empty when they do).
std::vector<std::string> check_wire(const Cassette& c);

}  // namespace th::conform
