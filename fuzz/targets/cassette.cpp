// Fuzz target: reading a cassette (the JSON-to-record adapters). Whatever a file holds,
// it is refused with a message that is safe to print, or read into a record that every
// rule judges, whose bytes are parsed again, and whose reports are rendered, without a
// crash or an exception.
#include <cstdint>
#include <string_view>

#include "conformance/cassette.h"
#include "conformance/checked_json.h"
#include "fuzz/targets/report_path.h"

using namespace th::conform;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto c = parse_cassette(text, error);
  if (!c) {
    FUZZ_CHECK(valid_utf8(error) && !error.empty());
    return 0;
  }
  const auto outcomes = rule_outcomes(c->record);
  for (const auto& [id, v] : outcomes) FUZZ_CHECK(v == "PASS" || v == "FAIL" || v == "INCONCLUSIVE");
  for (const auto& w : check_wire(*c)) FUZZ_CHECK(valid_utf8(w));
  ScenarioRun run;
  run.record = c->record;
  run.observed = c->observed;
  run.failures = c->failures;
  run.findings = c->findings;
  run.verdict = c->recorded_verdict == "FAIL" ? Verdict::kFail : Verdict::kPass;
  th::fuzz_targets::judge_and_report({c->record.scenario, "cassette", "fuzzed", std::move(run), {}});
  return 0;
}
