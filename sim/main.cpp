// tasksim: the Lattice task service on a virtual clock.
//   tasksim run FILE... [--seed N] [--trace PATH]   play scenarios, check expectations
//   tasksim bench [--json] [--workload NAME] [--hours H] [--seed N]
//   tasksim fuzz [--seed N] [--runs K] [--steps N] [--out FILE]   generated workloads
// Exit status: 0 all passed, 1 an expectation failed, 2 bad usage or bad input.
#include <fnmatch.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "conformance/cassette.h"
#include "conformance/checked_json.h"
#include "conformance/second_opinion.h"
#include "conformance/suite.h"
#include "fuzz/generator.h"
#include "reports/report.h"
#include "fuzz/sim_judge.h"
#include "sim/clock.h"
#include "scenarios/format/dialect.h"
#include "sim/mutant.h"
#include "sim/variant.h"
#include "sim/player.h"
#include "scenarios/format/scenario.h"
#include "sim/server.h"
#include "sim/trace.h"
#include "sim/workload.h"

namespace {

#ifdef TH_HEAP_CANARY
// A deliberately broken build (tasksim_canary): one byte of a fresh heap block, never
// written, reaches every trace hash, as a bug that read uninitialised memory would.
// The determinism checks must tell (CTest "determinism: ... fails on a build that reads
// an uninitialised heap byte"); nothing else uses this build.
std::string trace_hash_of(const th::PlayResult& r) {
  // A size nothing else asks for: a fresh block, the same (zero) bytes in every
  // process whatever the address layout, until the allocator is told to fill it. A
  // check that varies only the layout (MALLOC_PERTURB_ under jemalloc) never sees it.
  constexpr size_t kCanaryBytes = 3 << 20;
  auto* block = static_cast<unsigned char*>(std::malloc(kCanaryBytes));
  // The compiler may not assume what the block holds (it would warn, or fold the read).
  asm volatile("" : : "r"(block) : "memory");
  const unsigned char uninitialised = block[100];
  std::free(block);
  th::Fnv1a64 h;
  h.update(r.trace_hash.data(), r.trace_hash.size());
  h.update(reinterpret_cast<const char*>(&uninitialised), 1);
  return h.hex();
}
#else
const std::string& trace_hash_of(const th::PlayResult& r) { return r.trace_hash; }
#endif

constexpr const char* kVersion = "0.1.0";

constexpr const char* kUsage =
    "usage:\n"
    "  tasksim run FILE... [--seed N] [--trace PATH] [--verbose]\n"
    "      Plays each scenario in virtual time against the model, checks its\n"
    "      expectations, prints PASS/FAIL and a trace hash per scenario.\n"
    "      --seed N      seed for everything random (generated task ids); default 1\n"
    "      --trace PATH  write the traces (canonical JSON Lines) to PATH\n"
    "  tasksim bench [--json] [--workload day-1k] [--hours H] [--seed N]\n"
    "      Runs a generated workload in virtual time and reports its speed.\n"
    "  tasksim fuzz [--seed N] [--runs K] [--steps N] [--out FILE] [--no-shrink]\n"
    "               [--hashes] [--bench [--json]]\n"
    "      Generates K workloads of up to N steps from the seed, plays each in the\n"
    "      simulator and judges it with every conformance rule; the first failure is\n"
    "      shrunk and written to FILE (default fuzz-failure-SEED.json), which\n"
    "      'tasksim run FILE' reproduces. --hashes prints each case's trace hash;\n"
    "      --bench times K workloads of exactly N steps instead.\n"
    "  tasksim replay CASSETTE... [--report-dir DIR] [--rules GLOB] [--verify]\n"
    "  tasksim replay CASSETTE --shrink [--out FILE]\n"
    "      Judges recorded live runs (taskconform run --record) again with every rule,\n"
    "      offline, and shows where each recorded stream departed from the model.\n"
    "      --verify: exit 0 only when every verdict is the one given when recorded.\n"
    "      --shrink: the smallest step list whose recorded observations still fail a\n"
    "      rule that failed, written as a scenario file (default NAME-shrunk.json).\n"
    "  tasksim serve --token T... | --tokens-file F  [--host H] [--port N]\n"
    "                [--clock system|virtual] [--sse-chunking normal|coalesce|split]\n"
    "                [--stale-status-version reject|ignore] [--max-body-bytes N]\n"
    "                [--listen-hold-ms N] [--max-streams N] [--stream-queue-capacity N]\n"
    "                [--tls-cert PEM --tls-key PEM]\n"
    "                [--seed N] [--mutant NAME] [--list-mutants]\n"
    "                [--variant NAME]... [--list-variants]\n"
    "      The reference server: lattice-rest under /api/v1 until SIGINT or SIGTERM.\n"
    "      Prints 'listening on http://HOST:PORT' first; --port 0 picks a free port.\n"
    "      --clock virtual adds the test clock: GET /_harness/clock and\n"
    "      POST /_harness/clock/advance {\"ms\":N}.\n"
    "      --variant NAME switches on a legal choice another correct server could\n"
    "      make (repeatable; they combine); --list-variants names them.\n"
    "  Every command takes --dialect NAME (default and, so far, only: lattice-rest).\n"
    "  tasksim --help | --version\n"
    "exit status: 0 all passed, 1 an expectation failed, 2 bad usage or input\n";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "tasksim: %s\n%s", msg.c_str(), kUsage);
  return 2;
}

bool parse_u64(const std::string& s, uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

// Reads the value of an option that takes one; false (and a message) when missing.
bool option_value(const std::vector<std::string>& args, size_t& i, std::string& out) {
  if (i + 1 >= args.size()) return false;
  out = args[++i];
  return true;
}

int cmd_run(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  uint64_t seed = 1;
  std::string trace_path;
  bool verbose = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string v;
    if (a == "--seed") {
      if (!option_value(args, i, v) || !parse_u64(v, seed)) return usage_error("--seed takes a non-negative integer");
    } else if (a == "--trace") {
      if (!option_value(args, i, trace_path)) return usage_error("--trace takes a path");
    } else if (a == "--verbose") {
      verbose = true;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a.rfind("-", 0) == 0) {
      return usage_error("unknown option " + a);
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) return usage_error("run needs at least one scenario file");

  std::vector<th::Scenario> scenarios;
  bool bad = false;
  for (const auto& f : files) {
    try {
      scenarios.push_back(th::load_scenario(f));
    } catch (const th::ScenarioError& e) {
      std::fprintf(stderr, "tasksim: %s\n", e.what());
      bad = true;
    }
  }
  if (bad) return 2;

  std::ofstream trace_file;
  if (!trace_path.empty()) {
    trace_file.open(trace_path, std::ios::binary | std::ios::trunc);
    if (!trace_file) {
      std::fprintf(stderr, "tasksim: cannot write the trace to %s: %s\n", trace_path.c_str(), std::strerror(errno));
      return 2;
    }
  }
  int passed = 0, failed = 0;
  for (const auto& sc : scenarios) {
    const th::fuzz::SimJudgement j = th::fuzz::judge_in_simulator(sc, seed, trace_path.empty() ? nullptr : &trace_file);
    const th::PlayResult& r = j.play;
    std::printf("%s %-34s trace=%s lines=%llu\n", j.passed() ? "PASS" : "FAIL", sc.name.c_str(),
                trace_hash_of(r).c_str(), static_cast<unsigned long long>(r.trace_lines));
    for (const auto& f : r.failures) std::printf("    %s: %s\n", sc.file.c_str(), f.c_str());
    for (const auto& f : j.rule_failures) std::printf("    %s: rule %s\n", sc.file.c_str(), f.c_str());
    if (verbose) std::printf("    %s\n", sc.title.c_str());
    (j.passed() ? passed : failed)++;
  }
  if (trace_file.is_open()) {
    trace_file.flush();
    if (!trace_file) {
      std::fprintf(stderr, "tasksim: writing the trace to %s failed\n", trace_path.c_str());
      return 2;
    }
  }
  std::printf("tasksim: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

struct FuzzArgs {
  th::fuzz::FuzzOptions options;
  std::string out_path;
  bool hashes = false;
  bool bench = false;
  bool as_json = false;
};

int parse_fuzz(const std::vector<std::string>& args, FuzzArgs& f) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string v;
    uint64_t n = 0;
    if (a == "--seed") {
      if (!option_value(args, i, v) || !parse_u64(v, f.options.seed)) return usage_error("--seed takes a non-negative integer");
    } else if (a == "--runs") {
      if (!option_value(args, i, v) || !parse_u64(v, n) || n == 0 || n > 1'000'000) {
        return usage_error("--runs takes an integer from 1 to 1000000");
      }
      f.options.runs = static_cast<int>(n);
    } else if (a == "--steps") {
      if (!option_value(args, i, v) || !parse_u64(v, n) || n == 0 || n > 10'000) {
        return usage_error("--steps takes an integer from 1 to 10000");
      }
      f.options.max_steps = static_cast<int>(n);
    } else if (a == "--out") {
      if (!option_value(args, i, f.out_path)) return usage_error("--out takes a path");
    } else if (a == "--no-shrink") {
      f.options.shrink = false;
    } else if (a == "--hashes") {
      f.hashes = true;
    } else if (a == "--bench") {
      f.bench = true;
    } else if (a == "--json") {
      f.as_json = true;
    } else {
      return usage_error("unknown fuzz option " + a);
    }
  }
  if (f.out_path.empty()) f.out_path = "fuzz-failure-" + std::to_string(f.options.seed) + ".json";
  return -1;
}

// Plays one generated scenario in the simulator and judges it with every rule.
std::vector<std::string> judge_generated(const nlohmann::json& doc, bool print_hash) {
  th::Scenario sc;
  try {
    sc = th::parse_scenario_json(doc, "<generated>");
  } catch (const th::ScenarioError& e) {
    return {std::string("the generator wrote an invalid scenario: ") + e.what()};
  }
  const th::fuzz::SimJudgement j = th::fuzz::judge_in_simulator(sc, 1);
  if (print_hash) std::printf("%s steps=%zu trace=%s\n", sc.name.c_str(), sc.steps.size(), trace_hash_of(j.play).c_str());
  std::vector<std::string> failures = j.play.failures;
  failures.insert(failures.end(), j.rule_failures.begin(), j.rule_failures.end());
  return failures;
}

// Seeds per second: workloads of exactly --steps commands, drawn, played and judged.
int fuzz_bench(const FuzzArgs& f) {
  size_t steps = 0;
  int failing = 0;
  const int64_t t0_us = th::monotonic_us();
  int64_t generate_us = 0;
  for (int i = 0; i < f.options.runs; ++i) {
    const int64_t g0_us = th::monotonic_us();
    const auto doc = th::fuzz::generate_scenario(f.options.seed + static_cast<uint64_t>(i), f.options.max_steps);
    generate_us += th::monotonic_us() - g0_us;
    steps += doc["steps"].size();
    if (!judge_generated(doc, false).empty()) ++failing;
  }

  const double wall_s = static_cast<double>(th::monotonic_us() - t0_us) / 1e6;
  const double per_s = wall_s > 0 ? f.options.runs / wall_s : 0;
  const double mean_steps = static_cast<double>(steps) / f.options.runs;
  if (f.as_json) {
    std::printf("{\"seeds\":%d,\"max_steps\":%d,\"mean_steps\":%.1f,\"wall_s\":%.3f,\"generate_s\":%.3f,"
                "\"seeds_per_s\":%.1f,\"failing\":%d}\n",
                f.options.runs, f.options.max_steps, mean_steps, wall_s, static_cast<double>(generate_us) / 1e6, per_s,
                failing);
  } else {
    std::printf("fuzz bench: %d workloads of %d steps (mean %.1f) drawn, simulated and judged in %.3f s on one core "
                "(drawing %.3f s): %.1f seeds/s; %d failing\n",
                f.options.runs, f.options.max_steps, mean_steps, wall_s, static_cast<double>(generate_us) / 1e6, per_s,
                failing);
  }
  return failing == 0 ? 0 : 1;
}

int cmd_fuzz(const std::vector<std::string>& args) {
  FuzzArgs f;
  if (int status = parse_fuzz(args, f); status >= 0) return status;
  if (f.bench) return fuzz_bench(f);
  const auto r = th::fuzz::fuzz(f.options, [&](const nlohmann::json& doc) { return judge_generated(doc, f.hashes); });
  if (!r.error.empty()) {
    std::fprintf(stderr, "tasksim: the workload search failed: %s\n", r.error.c_str());
    return 2;
  }
  if (!r.failed) {
    std::printf("tasksim fuzz: %d generated workloads (seed %llu) passed every rule in the simulator\n", r.passed,
                static_cast<unsigned long long>(f.options.seed));
    return 0;
  }
  std::ofstream out(f.out_path, std::ios::binary | std::ios::trunc);
  out << th::fuzz::scenario_file_text(r.scenario);
  if (!out.flush()) {
    std::fprintf(stderr, "tasksim: cannot write %s: %s\n", f.out_path.c_str(), std::strerror(errno));
    return 2;
  }
  std::printf("tasksim fuzz: workload %d of seed %llu failed; shrunk to %zu steps in %d cases:\n", r.passed + 1,
              static_cast<unsigned long long>(f.options.seed), r.scenario["steps"].size(), r.cases);
  for (const auto& x : r.failures) std::printf("    %s\n", x.c_str());
  std::printf("reproduce: tasksim run %s\n", f.out_path.c_str());
  return 1;
}

// tasksim replay: a recorded live run judged again offline, and the model's view of
// the same scenario beside it.
struct ReplayArgs {
  std::vector<std::string> files;
  std::string report_dir;
  bool verify = false;
  bool shrink = false;
  std::string out_path;
  std::string rules_glob;  // --rules: only these rules (the reports' rerun commands use it)
};

bool rule_selected(const ReplayArgs& ra, const std::string& id) {
  if (ra.rules_glob.empty()) return true;
  size_t start = 0;
  while (start <= ra.rules_glob.size()) {
    size_t end = ra.rules_glob.find(',', start);
    if (end == std::string::npos) end = ra.rules_glob.size();
    if (fnmatch(ra.rules_glob.substr(start, end - start).c_str(), id.c_str(), 0) == 0) return true;
    start = end + 1;
  }
  return false;
}

int parse_replay(const std::vector<std::string>& args, ReplayArgs& r) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--report-dir") {
      if (!option_value(args, i, r.report_dir) || r.report_dir.empty()) return usage_error("--report-dir takes a folder");
    } else if (args[i] == "--verify") {
      r.verify = true;
    } else if (args[i] == "--rules") {
      if (!option_value(args, i, r.rules_glob) || r.rules_glob.empty()) return usage_error("--rules takes a glob such as STREAM-RL-*");
    } else if (args[i] == "--shrink") {
      r.shrink = true;
    } else if (args[i] == "--out") {
      if (!option_value(args, i, r.out_path) || r.out_path.empty()) return usage_error("--out takes a path");
    } else if (args[i].rfind("-", 0) == 0) {
      return usage_error("unknown replay option " + args[i]);
    } else {
      r.files.push_back(args[i]);
    }
  }
  if (r.files.empty()) return usage_error("replay needs at least one cassette");
  if (r.shrink && r.files.size() != 1) return usage_error("--shrink takes one cassette");
  return -1;
}

// Where the recorded server departed from the model, stream by stream, with the rule
// violations seen on each stream.
void print_departures(const th::conform::ScenarioRun& run, const std::vector<th::conform::JudgedRule>& judged,
                      const ReplayArgs& ra) {
  for (const auto& d : run.departures) {
    std::printf("    departs from the model at %lld ms: %s\n", static_cast<long long>(d.t_ms), d.text.c_str());
  }
  for (const auto& [rule, result] : judged) {
    if (!rule_selected(ra, rule->id)) continue;
    for (const auto& v : result.violations) std::printf("    %s\n", th::conform::describe(*rule, v).c_str());
  }
}

// The task an event is about ("" for heartbeats and the like). A recording is
// untrusted: read checked.
std::string event_task_id(const nlohmann::json& data) {
  using th::conform::string_at;
  if (auto id = string_at(data, {"taskEvent", "task", "version", "taskId"})) return *id;
  if (auto id = string_at(data, {"executeRequest", "task", "version", "taskId"})) return *id;
  return string_at(data, {"cancelRequest", "taskId"}).value_or("");
}

// --shrink: the smallest step list whose recorded observations still fail a rule that
// failed in the recording. Candidates keep the recording's requests and streams of
// the steps they keep (a stream's close, stall and resume go with its open), and must
// parse as a scenario; expectations are dropped, as they were written for every step.
struct Shrinker {
  const th::conform::Cassette& c;
  std::string target_rule;
  const th::conform::Rule* target = nullptr;
  // Per step (SIZE_MAX: none): the step that opened its stream, the step that created
  // its task, and the task's previous status update or cancel.
  std::vector<size_t> stream_open, creator, prior_change;

  explicit Shrinker(const th::conform::Cassette& cassette) : c(cassette) {
    const auto& steps = c.scenario.at("steps");
    std::map<std::string, size_t> opened, created, changed;
    stream_open.assign(steps.size(), SIZE_MAX);
    creator.assign(steps.size(), SIZE_MAX);
    prior_change.assign(steps.size(), SIZE_MAX);
    for (size_t i = 0; i < steps.size(); ++i) {
      const std::string action = steps[i].value("do", "");
      const std::string stream = steps[i].value("stream", "");
      const std::string task = steps[i].value("task_id", "");
      if (!stream.empty() && action.rfind("open_", 0) == 0) opened[stream] = i;
      else if (!stream.empty() && opened.count(stream)) stream_open[i] = opened[stream];
      if (action == "create_task" && steps[i].contains("body") && steps[i]["body"].is_object()) {
        created.emplace(steps[i]["body"].value("taskId", ""), i);
      }
      if (created.count(task)) creator[i] = created[task];
      if (action == "update_status" || action == "cancel_task") {
        if (changed.count(task)) prior_change[i] = changed[task];
        changed[task] = i;
      }
    }
  }

  void aim_at(const std::string& rule_id) {
    target_rule = rule_id;
    for (const auto& rule : th::conform::rule_catalog()) {
      if (rule.id == rule_id) target = &rule;
    }
  }

  std::vector<size_t> with_companions(const std::vector<size_t>& kept) const {
    std::set<size_t> in(kept.begin(), kept.end());
    std::vector<size_t> out;
    for (size_t i = 0; i < stream_open.size(); ++i) {
      if (in.count(i) || (stream_open[i] != SIZE_MAX && in.count(stream_open[i]))) out.push_back(i);
    }
    return out;
  }

  nlohmann::json scenario_of(const std::vector<size_t>& steps) const {
    nlohmann::json doc = c.scenario;
    nlohmann::json list = nlohmann::json::array();
    for (size_t i : steps) {
      nlohmann::json st = c.scenario["steps"][i];
      st.erase("expect");
      list.push_back(std::move(st));
    }
    if (list.empty()) list.push_back({{"at_ms", 0}, {"do", "advance"}});
    doc["steps"] = list;
    doc.erase("expect_streams");
    doc["rules"] = nlohmann::json::array({target_rule});
    doc["name"] = c.scenario.value("name", "SCENARIO") + "-SHRUNK";
    doc["description"] = "Shrunk by tasksim replay --shrink from a recording in which " + target_rule +
                         " failed: the smallest step list whose recorded observations still fail it. Expectations dropped.";
    return doc;
  }

  // A step about a task keeps the step that created it (else it would be a 404), and
  // a task's status updates and cancels stay a prefix of the recorded ones, so each
  // kept update still names the statusVersion the server had then.
  bool consistent(const std::set<size_t>& in) const {
    for (size_t i : in) {
      if (creator[i] != SIZE_MAX && !in.count(creator[i])) return false;
      if (prior_change[i] != SIZE_MAX && !in.count(prior_change[i])) return false;
    }
    return true;
  }

  // The recording as if only these steps had been played.
  th::conform::RunRecord restricted(const std::set<size_t>& in) const {
    th::conform::RunRecord r = c.record;
    std::erase_if(r.requests, [&](const th::conform::RequestRecord& q) { return !in.count(q.step); });
    std::erase_if(r.streams, [&](const th::conform::StreamRecord& s) { return !in.count(s.step); });
    // Tasks whose create was left out never existed: their events go too.
    std::set<std::string> tasks;
    for (const auto& q : r.requests) {
      if (q.action != "create_task") continue;
      if (auto id = th::conform::string_at(q.body, {"taskId"})) tasks.insert(*id);
      if (auto id = th::conform::string_at(q.response, {"version", "taskId"})) tasks.insert(*id);
    }
    for (auto& st : r.streams) {
      std::erase_if(st.events, [&](const th::conform::EventRecord& e) {
        const std::string id = event_task_id(e.data);
        return !id.empty() && !tasks.count(id);
      });
    }
    return r;
  }

  bool still_fails(const std::vector<size_t>& kept) const {
    const auto steps = with_companions(kept);
    const std::set<size_t> in(steps.begin(), steps.end());
    if (!target || !consistent(in)) return false;
    try {
      th::parse_scenario_json(scenario_of(steps), "<candidate>");
    } catch (const th::ScenarioError&) {
      return false;  // a step refers to one left out
    }
    return target->check(restricted(in)).outcome == th::conform::Outcome::kFail;
  }

  // Delta debugging: drop chunks of steps, halving the chunk when nothing drops.
  std::vector<size_t> shrink() const {
    std::vector<size_t> keep;
    for (size_t i = 0; i < stream_open.size(); ++i) {
      if (stream_open[i] == SIZE_MAX) keep.push_back(i);
    }
    for (size_t chunk = std::max<size_t>(keep.size() / 2, 1); chunk >= 1;) {
      bool dropped = false;
      for (size_t start = 0; start < keep.size();) {
        std::vector<size_t> cand(keep.begin(), keep.begin() + static_cast<std::ptrdiff_t>(start));
        cand.insert(cand.end(), keep.begin() + static_cast<std::ptrdiff_t>(std::min(start + chunk, keep.size())), keep.end());
        if (still_fails(cand)) {
          keep = std::move(cand);
          dropped = true;
        } else {
          start += chunk;
        }
      }
      if (!dropped) {
        if (chunk == 1) break;
        chunk /= 2;
      }
    }
    return with_companions(keep);
  }
};

int replay_shrink(const std::string& file, const std::string& out_path) {
  std::string err;
  auto c = th::conform::read_cassette(file, err);
  if (!c) {
    std::fprintf(stderr, "tasksim: %s\n", err.c_str());
    return 2;
  }
  Shrinker s(*c);
  for (const auto& [id, v] : th::conform::rule_outcomes(c->record)) {
    if (v == "FAIL" && s.target_rule.empty()) s.aim_at(id);
  }
  if (s.target_rule.empty()) {
    std::printf("tasksim: no rule failed in %s: nothing to shrink\n", file.c_str());
    return 0;
  }
  const auto steps = s.shrink();
  const std::string path = out_path.empty() ? c->scenario.value("name", "scenario") + "-shrunk.json" : out_path;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << th::fuzz::scenario_file_text(s.scenario_of(steps));
  if (!out.flush()) {
    std::fprintf(stderr, "tasksim: cannot write %s\n", path.c_str());
    return 2;
  }
  std::printf("tasksim: %s failed in the recording; %zu of %zu steps still fail it: written to %s\n",
              s.target_rule.c_str(), steps.size(), c->scenario["steps"].size(), path.c_str());
  std::printf("play it against the server that was recorded: taskconform run %s --target URL --token-file F\n", path.c_str());
  return 1;
}

int cmd_replay(const std::vector<std::string>& args) {
  ReplayArgs ra;
  if (int status = parse_replay(args, ra); status >= 0) return status;
  if (ra.shrink) return replay_shrink(ra.files.front(), ra.out_path);
  th::conform::SuiteResult suite;
  suite.target = "recordings";
  bool all_same = true;
  for (const auto& file : ra.files) {
    std::string err;
    auto c = th::conform::read_cassette(file, err);
    if (!c) {
      std::fprintf(stderr, "tasksim: %s\n", err.c_str());
      return 2;
    }
    th::Scenario sc;
    try {
      sc = th::parse_scenario(c->scenario.dump(), file + " $.scenario");
    } catch (const th::ScenarioError& e) {
      std::fprintf(stderr, "tasksim: %s\n", e.what());
      return 2;
    }
    th::conform::ScenarioRun run;
    run.record = c->record;
    run.observed = c->observed;
    run.failures = c->failures;
    run.findings = c->findings;
    const std::string recorded = c->recorded_verdict;
    run.verdict = recorded == "FAIL" ? th::conform::Verdict::kFail : th::conform::Verdict::kPass;
    th::TraceWriter trace;
    const th::PlayResult predicted = th::play_scenario(sc, 1, trace);
    run.departures = th::conform::departures_from_model(predicted.streams, run.observed, run.record.virtual_time);
    for (const auto& d : run.departures) run.diagnostics.push_back(d.text);
    const auto judged = th::conform::judge_record(run.record);  // once: verdicts and lines come from it
    const auto outcomes = th::conform::rule_outcomes(judged);
    const auto wire = th::conform::check_wire(*c);
    const bool same = outcomes == c->verdicts && wire.empty();
    all_same = all_same && same;
    int failed = 0;
    for (const auto& [id, v] : outcomes) failed += v == "FAIL";
    const std::string mutant = c->mutant;
    std::printf("%s %-30s %d rules judged, %d failed; %s the recorded verdicts (%s%s, %s)\n", failed ? "FAIL" : "PASS",
                sc.name.c_str(), static_cast<int>(outcomes.size()), failed, same ? "the same as" : "NOT the same as",
                c->target.c_str(), mutant.empty() ? "" : (" with mutant " + mutant).c_str(), c->tool.c_str());
    for (const auto& w : wire) std::printf("    the bytes and the record disagree: %s\n", w.c_str());
    for (const auto& [id, v] : outcomes) {
      auto it = c->verdicts.find(id);
      if (it == c->verdicts.end() || it->second != v) {
        std::printf("    %s: %s now, %s when recorded\n", id.c_str(), v.c_str(), it == c->verdicts.end() ? "not judged" : it->second.c_str());
      }
    }
    print_departures(run, judged, ra);
    suite.virtual_time = suite.virtual_time && run.record.virtual_time;
    suite.tolerance_ms = std::max(suite.tolerance_ms, run.record.tolerance_ms);
    suite.scenarios.push_back({sc.name, file, sc.title, std::move(run), sc.rules});
  }
  std::vector<const th::conform::Rule*> all, rules;
  th::conform::LeftOut rest{"the rest of the library", {}, "was not replayed"};
  for (const auto& r : th::conform::rule_catalog()) {
    all.push_back(&r);
    if (rule_selected(ra, r.id)) rules.push_back(&r);
    rest.rules.push_back(r.id);  // a rule a replayed scenario lists is judged from it first
  }
  suite.rules = th::conform::judge(suite.scenarios, all, rules, {rest}, "left out by --rules");
  if (!ra.report_dir.empty()) {
    th::reports::ReportOptions ro;
    ro.dir = ra.report_dir;
    ro.rerun_prefix = "tasksim replay";
    std::string err;
    if (!th::reports::write_reports(suite, ro, err)) {
      std::fprintf(stderr, "tasksim: %s\n", err.c_str());
      return 2;
    }
    std::printf("report: %s/index.html\n", ra.report_dir.c_str());
  }
  if (ra.verify) return all_same ? 0 : 1;
  return th::conform::exit_status(suite, false);
}

long max_rss_kib() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

int cmd_bench(const std::vector<std::string>& args) {
  bool as_json = false;
  std::string workload = "day-1k";
  uint64_t seed = 1, hours = 24;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string v;
    if (a == "--json") {
      as_json = true;
    } else if (a == "--workload") {
      if (!option_value(args, i, workload)) return usage_error("--workload takes a name (day-1k)");
    } else if (a == "--hours") {
      if (!option_value(args, i, v) || !parse_u64(v, hours) || hours == 0 || hours > 24 * 365) {
        return usage_error("--hours takes an integer from 1 to 8760");
      }
    } else if (a == "--seed") {
      if (!option_value(args, i, v) || !parse_u64(v, seed)) return usage_error("--seed takes a non-negative integer");
    } else {
      return usage_error("unknown bench option " + a);
    }
  }
  th::BenchStats s;
  // Wall time is measured here, around the model, never inside it.
  const int64_t t0_us = th::monotonic_us();
  if (!th::run_workload(workload, seed, static_cast<int64_t>(hours), s)) {
    return usage_error("unknown workload \"" + workload + "\" (known: day-1k)");
  }
  const double wall_s = static_cast<double>(th::monotonic_us() - t0_us) / 1e6;
  const double virtual_s = static_cast<double>(s.virtual_ms) / 1000.0;
  const double speedup = wall_s > 0 ? virtual_s / wall_s : 0;
  if (as_json) {
    std::printf(
        "{\"workload\":\"%s\",\"seed\":%llu,\"virtual_s\":%.0f,\"wall_s\":%.3f,\"speedup\":%.0f,\"events\":%llu,"
        "\"heartbeats\":%llu,\"task_events\":%llu,\"tasks\":%llu,\"status_updates\":%llu,\"streams\":%llu,"
        "\"timers_fired\":%llu,\"trace_bytes\":%llu,\"trace_hash\":\"%s\",\"max_rss_kib\":%ld}\n",
        s.workload.c_str(), static_cast<unsigned long long>(seed), virtual_s, wall_s, speedup,
        static_cast<unsigned long long>(s.events), static_cast<unsigned long long>(s.heartbeats),
        static_cast<unsigned long long>(s.task_events), static_cast<unsigned long long>(s.tasks),
        static_cast<unsigned long long>(s.status_updates), static_cast<unsigned long long>(s.streams),
        static_cast<unsigned long long>(s.timers_fired), static_cast<unsigned long long>(s.trace_bytes),
        s.trace_hash.c_str(), max_rss_kib());
  } else {
    std::printf("workload %s: %.0f s virtual in %.3f s wall, speedup %.0fx\n", s.workload.c_str(), virtual_s, wall_s,
                speedup);
    std::printf("  %llu events (%llu heartbeats, %llu task events) on %llu streams; %llu tasks, %llu updates\n",
                static_cast<unsigned long long>(s.events), static_cast<unsigned long long>(s.heartbeats),
                static_cast<unsigned long long>(s.task_events), static_cast<unsigned long long>(s.streams),
                static_cast<unsigned long long>(s.tasks), static_cast<unsigned long long>(s.status_updates));
    std::printf("  trace %llu bytes hashed (%s), max RSS %ld KiB\n", static_cast<unsigned long long>(s.trace_bytes),
                s.trace_hash.c_str(), max_rss_kib());
  }
  return 0;
}

// Each stream holds a socket, and the runner's clients theirs: lift the soft limit.
void raise_open_file_limit() {
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// One token a line; blank lines and lines starting with # are skipped.
bool read_tokens_file(const std::string& path, std::set<std::string>& tokens, std::string& err) {
  std::ifstream in(path);
  if (!in) {
    err = "cannot read the tokens file " + path;
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    tokens.insert(line);
  }
  return true;
}

int parse_serve_args(const std::vector<std::string>& args, th::ServerOptions& o) {
  // A worker thread per open stream and per held listen: bound both.
  o.service.stream_count_max = 1024;
  o.service.listen_count_max = 256;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string v;
    uint64_t n = 0;
    if (a == "--host") {
      if (!option_value(args, i, o.host)) return usage_error("--host takes an address");
    } else if (a == "--port") {
      if (!option_value(args, i, v) || !parse_u64(v, n) || n > 65535) return usage_error("--port takes 0..65535");
      o.port = static_cast<int>(n);
    } else if (a == "--token") {
      if (!option_value(args, i, v) || v.empty()) return usage_error("--token takes a non-empty token");
      o.tokens.insert(v);
    } else if (a == "--tokens-file") {
      std::string err;
      if (!option_value(args, i, v)) return usage_error("--tokens-file takes a path");
      if (!read_tokens_file(v, o.tokens, err)) return usage_error(err);
    } else if (a == "--stale-status-version") {
      if (!option_value(args, i, v) || (v != "reject" && v != "ignore")) {
        return usage_error("--stale-status-version takes reject or ignore");
      }
      o.service.stale_status_version = v == "ignore" ? th::StalePolicy::kIgnore : th::StalePolicy::kReject;
    } else if (a == "--clock") {
      if (!option_value(args, i, v) || (v != "system" && v != "virtual")) return usage_error("--clock takes system or virtual");
      o.virtual_clock = v == "virtual";
    } else if (a == "--sse-chunking") {
      if (!option_value(args, i, v) || (v != "normal" && v != "coalesce" && v != "split")) {
        return usage_error("--sse-chunking takes normal, coalesce or split");
      }
      o.chunking = v == "split" ? th::SseChunking::kSplit : v == "coalesce" ? th::SseChunking::kCoalesce : th::SseChunking::kNormal;
    } else if (a == "--max-body-bytes") {
      if (!option_value(args, i, v) || !parse_u64(v, n) || n == 0 || n > (64u << 20)) {
        return usage_error("--max-body-bytes takes 1..67108864");
      }
      o.max_body_bytes = n;
    } else if (a == "--listen-hold-ms") {
      if (!option_value(args, i, v) || !parse_u64(v, n) || n > 3'600'000) return usage_error("--listen-hold-ms takes 0..3600000");
      o.service.listen_hold_ms = static_cast<int64_t>(n);
    } else if (a == "--max-streams") {
      if (!option_value(args, i, v) || !parse_u64(v, n) || n == 0 || n > 100'000) return usage_error("--max-streams takes 1..100000");
      o.service.stream_count_max = n;
    } else if (a == "--stream-queue-capacity") {
      if (!option_value(args, i, v) || !parse_u64(v, n) || n == 0 || n > 1'000'000) {
        return usage_error("--stream-queue-capacity takes 1..1000000");
      }
      o.service.stream_queue_capacity = n;
    } else if (a == "--tls-cert") {
      if (!option_value(args, i, o.tls_cert_path)) return usage_error("--tls-cert takes a PEM file");
    } else if (a == "--tls-key") {
      if (!option_value(args, i, o.tls_key_path)) return usage_error("--tls-key takes a PEM file");
    } else if (a == "--seed") {
      if (!option_value(args, i, v) || !parse_u64(v, o.seed)) return usage_error("--seed takes a non-negative integer");
    } else if (a == "--mutant") {
      auto m = option_value(args, i, v) ? th::parse_mutant(v) : std::nullopt;
      if (!m) return usage_error("--mutant takes a name from --list-mutants");
      o.mutant = *m;
    } else if (a == "--list-mutants") {
      for (th::Mutant m : th::all_mutants()) std::printf("%s\n", std::string(th::to_name(m)).c_str());
      return 0;
    } else if (a == "--variant") {
      auto variant = option_value(args, i, v) ? th::parse_variant(v) : std::nullopt;
      if (!variant) return usage_error("--variant takes a name from --list-variants");
      o.variants.insert(*variant);
    } else if (a == "--list-variants") {
      // name, description, and the SHOULD rules it departs from, tab-separated.
      for (th::Variant variant : th::all_variants()) {
        std::string departs;
        for (const auto& id : th::departs_from(variant)) departs += (departs.empty() ? "" : ",") + id;
        std::printf("%s\t%s\tdeparts_from: %s\n", std::string(th::to_name(variant)).c_str(),
                    std::string(th::description(variant)).c_str(), departs.empty() ? "-" : departs.c_str());
      }
      return 0;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      return usage_error("unknown serve option " + a);
    }
  }
  if (o.tokens.empty()) return usage_error("serve needs --token or --tokens-file: every endpoint requires a token");
  if (o.tls_cert_path.empty() != o.tls_key_path.empty()) return usage_error("--tls-cert and --tls-key go together");
  if (auto conflict = th::variants_conflict(o.variants)) return usage_error(*conflict);
  return -1;
}

int cmd_serve(const std::vector<std::string>& args) {
  th::ServerOptions o;
  if (int status = parse_serve_args(args, o); status >= 0) return status;
  raise_open_file_limit();
  // Block the stop signals before any thread starts, so only the waiter below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  th::ReferenceServer server(o);
  const int port = server.bind();
  if (port == 0) {
    std::fprintf(stderr, "tasksim: %s\n", server.error().c_str());
    return 2;
  }
  std::printf("listening on %s://%s:%d\n", server.tls() ? "https" : "http", o.host.c_str(), port);
  std::fflush(stdout);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.stop();
  });
  server.serve();
  server.stop();
  pthread_kill(waiter.native_handle(), SIGTERM);  // wakes the waiter if no signal came
  waiter.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage_error("no command given");
  const std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (cmd == "--version") {
    std::printf("tasksim %s\n", kVersion);
    return 0;
  }
  // Every command speaks one dialect; lattice-rest when none is named.
  std::string dialect, dialect_error;
  if (!th::extract_dialect(args, dialect, dialect_error)) return usage_error(dialect_error);
  if (cmd == "run") return cmd_run(args);
  if (cmd == "bench") return cmd_bench(args);
  if (cmd == "fuzz") return cmd_fuzz(args);
  if (cmd == "replay") return cmd_replay(args);
  if (cmd == "serve") return cmd_serve(args);
  return usage_error("unknown command \"" + cmd + "\"");
}
