#pragma once
// Plays a scenario file against a server over HTTP and checks the scenario's
// expectations against what each client observed. With the test-clock extension
// (GET /_harness/clock) time is virtual: before each step the player moves the
// server's clock to the step's time, and after each step it waits until every stream
// has delivered every byte that fell due, so the verdicts are exact and never flake.
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "conformance/http.h"
#include "conformance/record.h"
#include "scenarios/format/expect.h"
#include "scenarios/format/scenario.h"

namespace th::conform {

// kNotRun: a rule no scenario that ran would exercise, because those that would were
// skipped or left out (a reason, never a failure).
enum class Verdict { kPass, kFail, kInconclusive, kSkip, kError, kNotRun };
inline constexpr int kVerdictCount = 6;
const char* to_name(Verdict v);

// One place a stream departed from the model (the second opinion): the stream, the
// server's time of the first message that differs (or of the last one), what differs.
struct Departure {
  std::string stream;
  int64_t t_ms = 0;
  std::string text;
};

struct ScenarioRun {
  Verdict verdict = Verdict::kPass;
  // An ERROR that is the runner's own fault (an exception it did not expect), not the
  // target's: the run then exits 2 (the reason says what).
  bool internal_error = false;
  std::vector<std::string> failures;  // FAIL: each MUST expectation that did not hold
  // Expectations that encode a decision (SHOULD) or a preference (MAY) and did not
  // hold: reported, never a FAIL of the scenario (SHOULD fails a --strict run).
  std::vector<ExpectFailure> findings;
  std::string reason;                 // SKIP / ERROR / INCONCLUSIVE: why
  int64_t wall_ms = 0;
  RunRecord record;  // everything sent and observed, for the rules and the reports
  // What each stream showed, the run's own tasks only, ids as the scenario file names
  // them (the isolation tag taken off): comparable with the simulator's prediction.
  std::map<std::string, ObservedStream> observed;
  std::vector<std::string> diagnostics;  // where the server departed from the model
  std::vector<Departure> departures;      // the same, placed on the streams' timelines
  // The streams' bodies as they arrived, chunk by chunk (for cassettes):
  // {"baseMs", "streams": {name: {"status", "contentType", "truncated", "chunks": [{"tUs", "bytes"}]}}}
  nlohmann::json wire;
};

struct PlayOptions {
  // Client name -> the Authorization header it sends ("" sends none).
  std::map<std::string, std::string> authorization;
  int64_t request_deadline_ms = 0;  // 0: limits().request_ms_max (--request-timeout-ms)
  // Keep each stream's bytes as they arrived (ScenarioRun::wire), for a cassette.
  bool keep_wire = true;
  // A shared, long-lived target: make the scenario's task ids unique with this tag,
  // move its timestamps to the server's clock, judge only the run's own tasks, and
  // cancel every task the run created when it ends. "" plays the file as written.
  std::string isolation_tag;
  // Real time: without the test clock (or when forced) steps are played on the wall
  // clock, and times match within the calibrated tolerance. Scenarios longer than
  // max_real_ms are skipped rather than waited for.
  bool force_real_time = false;
  int64_t tolerance_ms = 25;
  int64_t max_real_ms = 15'000;
  // Set (by a SIGINT handler) to stop at the next step; the run then cleans up.
  const std::atomic<bool>* interrupted = nullptr;
};

ScenarioRun play_live(const Scenario& sc, const Target& target, const PlayOptions& options);

}  // namespace th::conform
