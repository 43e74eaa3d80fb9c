// taskconform: plays the scenario library against a server over HTTP and judges it.
//   taskconform run [SCENARIO.json...] [--target URL (--token T | --token-file F)]
//                   [--header K:V] [--ca-cert PEM] [--scenarios DIR]
// With no target, each scenario runs against the reference server started in-process
// on a loopback port with the test clock. Exit: 0 all passed (skips allowed), 1 a
// failure or error, 2 bad usage or an unreachable target.
#include <fnmatch.h>
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <chrono>
#include <memory>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "conformance/isolate.h"
#include "conformance/latency.h"
#include "conformance/cassette.h"
#include "conformance/limits.h"
#include "conformance/live_player.h"
#include "conformance/scope.h"
#include "fuzz/generator.h"
#include "conformance/rules.h"
#include "conformance/second_opinion.h"
#include "conformance/suite.h"
#include "reports/matrix.h"
#include "reports/report.h"
#include "scenarios/format/dialect.h"
#include "scenarios/format/scenario.h"
#include "sim/mutant.h"
#include "sim/variant.h"
#include "sim/player.h"
#include "sim/server.h"

namespace {

std::atomic<bool> g_interrupted{false};

void on_interrupt(int) { g_interrupted = true; }

constexpr const char* kUsage =
    "usage:\n"
    "  taskconform run [SCENARIO.json...] [--scenarios DIR] [--rules GLOB[,GLOB]]\n"
    "                  [--level must|should|may] [--strict] [--repeat N] [--shard I/N]\n"
    "                  [--baseline FILE] [--report-dir DIR] [--seed N] [--max-rps N]\n"
    "                  [--real-time] [--max-real-ms N] [--min-tolerance-ms N] [--max-latency-ms N]\n"
    "                  [--mutant NAME]\n"
    "                  [--record DIR] [--variant NAME]\n"
    "                  [--target URL (--token T | --token-file F)] [--header K:V] [--ca-cert PEM]\n"
    "      Plays the scenarios over HTTP, judges every rule over what was sent and seen,\n"
    "      and writes junit.xml, report.json and index.html to --report-dir\n"
    "      (default reports/out). Without --target each scenario runs against the\n"
    "      reference server started in-process, test clock on. The token (also from\n"
    "      TASKCONFORM_TOKEN) is never printed or written. --mutant switches on one\n"
    "      deliberate bug in the embedded server (see taskconform mutants). --record\n"
    "      writes a cassette per scenario to DIR, for 'tasksim replay'.\n"
    "  taskconform fuzz [--seed N] [--runs K] [--steps N] [--out FILE] [--no-shrink]\n"
    "                   [--mutant NAME | --target URL (--token T | --token-file F) ...]\n"
    "      Plays K generated workloads (RapidCheck, from the seed) against the target\n"
    "      and judges every rule; the first failure is shrunk against the target and\n"
    "      written to FILE (default fuzz-failure-SEED.json). --mutant picks a broken\n"
    "      embedded server; --record DIR also records the smallest failing workload\n"
    "      as a cassette. Exit 1 when a workload failed.\n"
    "  taskconform list [--json]     the rule catalog\n"
    "  taskconform mutants [--json] [--report-dir DIR] [--real-time]\n"
    "      The suite against each deliberately broken server; says at which level\n"
    "      each died; writes matrix.html, matrix.json and a report per server to DIR\n"
    "      (default reports/out/mutants).\n"
    "  taskconform variants [--json] [--report-dir DIR] [--clock virtual|system|both]\n"
    "      The suite against each legal variant of the reference server (choices a\n"
    "      correct server may make); exit 1 when one fails a MUST rule or a SHOULD\n"
    "      rule it does not name; matrix and reports in DIR (reports/out/variants).\n"
    "  taskconform matrix --target NAME=URL... [--token-file NAME=FILE] [--json]\n"
    "                     [--report-dir DIR] [run options]\n"
    "      The suite against each server, one matrix (default reports/out/matrix).\n"
    "      Tokens: --token-file NAME=FILE, TASKCONFORM_TOKEN_NAME or TASKCONFORM_TOKEN.\n"
    "  Every command takes --dialect NAME (default and, so far, only: lattice-rest).\n"
    "  taskconform --help\n"
    "exit status: 0 every selected MUST rule passed (--strict: and SHOULD), 1 a rule\n"
    "failed, errored or was inconclusive, 2 bad usage, an unreachable target or an\n"
    "internal error (the reports are written all the same), 130 interrupted\n";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "taskconform: %s\n%s", msg.c_str(), kUsage);
  return 2;
}

struct RunArgs {
  std::vector<std::string> files;
  std::string scenario_dir = TH_SCENARIO_DIR;
  std::string target_url;
  std::string token;
  th::conform::Target target;
  std::vector<std::string> rule_globs;
  th::conform::Level level = th::conform::Level::kMay;
  bool strict = false;
  int repeat = 1;
  int shard_index = 1, shard_count = 1;
  std::string baseline_path;
  std::string report_dir = "reports/out";
  std::optional<uint64_t> seed;
  double max_rps = 100;  // with a target: be a modest client of a shared server
  bool real_time = false;  // play on the wall clock even where a test clock exists
  int64_t max_real_ms = 15000;
  int64_t tolerance_ms = 0;  // calibrated at start for real-time play
  int64_t min_tolerance_ms = 25;
  int64_t max_latency_ms = 1000;  // real time: the latency budget (LATENCY-001, presence deadlines)
  th::Mutant mutant = th::Mutant::kNone;  // the embedded server's deliberate bug
  th::VariantSet variants;                // the embedded server's legal choices
  std::string record_dir;  // --record: a cassette per scenario run
  th::conform::Limits limits;  // bounds on what a target may send (--max-*, limits.h)
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

int parse_run(const std::vector<std::string>& args, RunArgs& a) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& k = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    std::string v, v_arg;
    if (k == "--target") {
      if (!value(a.target_url)) return usage_error("--target takes a URL");
    } else if (k == "--token") {
      if (!value(a.token) || a.token.empty()) return usage_error("--token takes a token");
    } else if (k == "--token-file") {
      if (!value(v)) return usage_error("--token-file takes a path");
      std::ifstream in(v);
      if (!in || !std::getline(in, a.token) || a.token.empty()) return usage_error("cannot read a token from " + v);
      while (!a.token.empty() && (a.token.back() == '\r' || a.token.back() == ' ')) a.token.pop_back();
    } else if (k == "--header") {
      if (!value(v) || v.find(':') == std::string::npos) return usage_error("--header takes K:V");
      a.target.headers.emplace_back(v.substr(0, v.find(':')), v.substr(v.find(':') + 1));
    } else if (k == "--ca-cert") {
      if (!value(a.target.ca_cert_path)) return usage_error("--ca-cert takes a PEM file");
    } else if (k == "--scenarios") {
      if (!value(a.scenario_dir)) return usage_error("--scenarios takes a folder");
    } else if (k == "--rules") {
      if (!value(v) || split(v, ',').empty()) return usage_error("--rules takes a glob such as STREAM-RL-*");
      a.rule_globs = split(v, ',');
    } else if (k == "--level") {
      if (!value(v) || (v != "must" && v != "should" && v != "may")) return usage_error("--level takes must, should or may");
      a.level = v == "must" ? th::conform::Level::kMust : v == "should" ? th::conform::Level::kShould : th::conform::Level::kMay;
    } else if (k == "--strict") {
      a.strict = true;
    } else if (k == "--repeat") {
      if (!value(v) || v.empty() || v.size() > 4 || !std::all_of(v.begin(), v.end(), ::isdigit) || std::stoi(v) < 1) {
        return usage_error("--repeat takes 1..9999");
      }
      a.repeat = std::stoi(v);
    } else if (k == "--shard") {
      const auto parts = value(v) ? split(v, '/') : std::vector<std::string>{};
      if (parts.size() != 2 || !std::all_of(parts[0].begin(), parts[0].end(), ::isdigit) ||
          !std::all_of(parts[1].begin(), parts[1].end(), ::isdigit) || parts[0].size() > 4 || parts[1].size() > 4 ||
          std::stoi(parts[1]) < 1 || std::stoi(parts[0]) < 1 || std::stoi(parts[0]) > std::stoi(parts[1])) {
        return usage_error("--shard takes I/N with 1 <= I <= N");
      }
      a.shard_index = std::stoi(parts[0]);
      a.shard_count = std::stoi(parts[1]);
    } else if (k == "--baseline") {
      if (!value(a.baseline_path)) return usage_error("--baseline takes a file");
    } else if (k == "--seed") {
      if (!value(v) || v.empty() || v.size() > 19 || !std::all_of(v.begin(), v.end(), ::isdigit)) {
        return usage_error("--seed takes a non-negative integer");
      }
      a.seed = std::stoull(v);
    } else if (k == "--max-rps") {
      if (!value(v) || v.empty() || v.size() > 6 || !std::all_of(v.begin(), v.end(), ::isdigit) || std::stoi(v) < 1) {
        return usage_error("--max-rps takes 1..999999");
      }
      a.max_rps = std::stoi(v);
    } else if (k == "--real-time") {
      a.real_time = true;
    } else if (k == "--max-real-ms") {
      if (!value(v) || v.empty() || v.size() > 7 || !std::all_of(v.begin(), v.end(), ::isdigit)) {
        return usage_error("--max-real-ms takes a number of ms");
      }
      a.max_real_ms = std::stoll(v);
    } else if (k == "--min-tolerance-ms") {
      if (!value(v) || v.empty() || v.size() > 6 || !std::all_of(v.begin(), v.end(), ::isdigit)) {
        return usage_error("--min-tolerance-ms takes a number of ms");
      }
      a.min_tolerance_ms = std::stoll(v);
    } else if (k == "--max-latency-ms") {
      if (!value(v) || v.empty() || v.size() > 6 || !std::all_of(v.begin(), v.end(), ::isdigit)) {
        return usage_error("--max-latency-ms takes a number of ms");
      }
      a.max_latency_ms = std::stoll(v);
    } else if (k == "--report-dir") {
      if (!value(a.report_dir) || a.report_dir.empty()) return usage_error("--report-dir takes a folder");
    } else if (k == "--record") {
      if (!value(a.record_dir) || a.record_dir.empty()) return usage_error("--record takes a folder");
    } else if (k == "--variant") {
      auto variant = value(v_arg) ? th::parse_variant(v_arg) : std::nullopt;
      if (!variant) return usage_error("--variant takes a name from tasksim serve --list-variants");
      a.variants.insert(*variant);
    } else if (k == "--mutant") {
      if (!value(v) || !th::parse_mutant(v)) return usage_error("--mutant takes a name from taskconform mutants");
      a.mutant = *th::parse_mutant(v);
    } else if (k == "--help" || k == "-h") {
      std::fputs(kUsage, stdout);
      std::fputs(th::conform::limits_usage().c_str(), stdout);
      return 0;
    } else if (std::string bad; th::conform::parse_limit_option(args, i, a.limits, bad)) {
      if (!bad.empty()) return usage_error(bad);
    } else if (k.rfind("-", 0) == 0) {
      return usage_error("unknown option " + k);
    } else {
      a.files.push_back(k);
    }
  }
  if (a.token.empty()) {
    if (const char* env = std::getenv("TASKCONFORM_TOKEN")) a.token = env;
  }
  th::conform::set_limits(a.limits);
  if (!a.target_url.empty() && a.mutant != th::Mutant::kNone) return usage_error("--mutant is for the embedded server, not a --target");
  if (!a.target_url.empty() && !a.variants.empty()) return usage_error("--variant is for the embedded server, not a --target");
  if (!a.target_url.empty()) {
    std::string err;
    const auto headers = a.target.headers;
    const std::string ca = a.target.ca_cert_path;
    auto t = th::conform::Target::parse(a.target_url, err);
    if (!t) return usage_error(err);
    a.target = *t;
    a.target.headers = headers;
    a.target.ca_cert_path = ca;
    if (a.token.empty()) return usage_error("a target needs --token, --token-file or TASKCONFORM_TOKEN");
  }
  if (a.files.empty()) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(a.scenario_dir, ec)) {
      if (e.path().extension() == ".json") a.files.push_back(e.path().string());
    }
    if (ec) return usage_error("cannot read the scenario folder " + a.scenario_dir);
    std::sort(a.files.begin(), a.files.end());
    if (a.files.empty()) return usage_error("no scenario in " + a.scenario_dir);
  }
  return -1;
}

std::vector<const th::conform::Rule*> all_rules() {
  std::vector<const th::conform::Rule*> out;
  for (const auto& r : th::conform::rule_catalog()) out.push_back(&r);
  return out;
}

// The library's scenarios this run does not play, with the rules each says it
// exercises: their rules are "not run", never inconclusive.
std::vector<th::conform::LeftOut> left_out_scenarios(const RunArgs& a, const std::vector<std::string>& played_files) {
  std::vector<th::conform::LeftOut> out;
  std::error_code ec;
  std::vector<std::string> library;
  for (const auto& e : std::filesystem::directory_iterator(a.scenario_dir, ec)) {
    if (e.path().extension() == ".json") library.push_back(e.path().string());
  }
  std::sort(library.begin(), library.end());
  auto same = [](const std::string& x, const std::string& y) {
    std::error_code e1;
    return std::filesystem::equivalent(x, y, e1);
  };
  for (const auto& f : library) {
    if (std::any_of(played_files.begin(), played_files.end(), [&](const std::string& p) { return same(p, f); })) continue;
    try {
      const th::Scenario sc = th::load_scenario(f);
      const bool sharded = a.shard_count > 1 && std::any_of(a.files.begin(), a.files.end(), [&](const std::string& p) { return same(p, f); });
      out.push_back({sc.name, sc.rules, sharded ? "left out by --shard" : "left out (only the named scenarios ran)"});
    } catch (const th::ScenarioError&) {
      // a broken file the user did not ask for says nothing about the target
    }
  }
  return out;
}

std::vector<const th::conform::Rule*> select_rules(const RunArgs& a) {
  std::vector<const th::conform::Rule*> out;
  for (const auto& r : th::conform::rule_catalog()) {
    if (static_cast<int>(r.level) > static_cast<int>(a.level)) continue;
    bool match = a.rule_globs.empty();
    for (const auto& g : a.rule_globs) match = match || fnmatch(g.c_str(), r.id.c_str(), 0) == 0;
    if (match) out.push_back(&r);
  }
  return out;
}

th::ServerOptions embedded_options(const th::Scenario& sc, bool real_time, th::Mutant mutant,
                                   const th::VariantSet& variants) {
  th::ServerOptions o;
  o.mutant = mutant;
  o.variants = variants;
  o.virtual_clock = !real_time;
  o.virtual_start_ms = sc.server.start_time_ms;
  for (const auto& [name, c] : sc.clients) {
    if (c.authorized && !c.token.empty()) o.tokens.insert(c.token);
  }
  if (o.tokens.empty()) o.tokens.insert("taskconform-harness");
  o.max_body_bytes = static_cast<size_t>(sc.server.max_body_bytes);
  o.service.stale_status_version =
      sc.server.stale_status_version == "ignore" ? th::StalePolicy::kIgnore : th::StalePolicy::kReject;
  o.service.stream_queue_capacity = static_cast<size_t>(sc.server.stream_queue_capacity);
  o.service.listen_hold_ms = sc.server.listen_hold_ms;
  o.service.query_page_size = static_cast<size_t>(sc.server.query_page_size);
  o.service.stream_count_max = 64;
  o.service.listen_count_max = 16;
  return o;
}

th::conform::ScenarioRun run_embedded(const th::Scenario& sc, const RunArgs& a) {
  // A store busy with other clients' tasks is played as a shared target is.
  const bool busy = a.variants.count(th::Variant::kBusyStore) > 0;
  if (const std::string needs = busy ? th::conform::non_default_server_options(sc) : ""; !needs.empty()) {
    th::conform::ScenarioRun r;
    r.verdict = th::conform::Verdict::kSkip;
    r.reason = "needs server options a shared target may not have: " + needs;
    return r;
  }
  th::ReferenceServer server(embedded_options(sc, a.real_time, a.mutant, a.variants));
  const int port = server.bind();
  if (port == 0) {
    th::conform::ScenarioRun r;
    r.verdict = th::conform::Verdict::kError;
    r.reason = "the embedded server could not start: " + server.error();
    return r;
  }
  std::thread serving([&] { server.serve(); });
  th::conform::OnExit stop_serving([&] {  // also when the play throws: never a joinable thread left
    server.stop();
    serving.join();
  });
  th::conform::Target t;
  t.port = port;
  th::conform::PlayOptions po;
  po.keep_wire = !a.record_dir.empty();
  for (const auto& [name, c] : sc.clients) po.authorization[name] = c.token.empty() ? "" : "Bearer " + c.token;
  po.force_real_time = a.real_time;
  po.tolerance_ms = a.tolerance_ms;
  po.max_real_ms = a.max_real_ms;
  po.interrupted = &g_interrupted;
  if (busy) po.isolation_tag = "tcbusy-";  // judge only the run's own tasks
  return th::conform::play_live(sc, t, po);
}

// A few characters unique to this run of this scenario, in front of its task ids.
std::string run_tag(std::mt19937_64& rng) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string tag = "tc";
  for (int i = 0; i < 4; ++i) tag += kChars[rng() % 36];
  return tag + "-";
}

th::conform::ScenarioRun run_target(const th::Scenario& sc, const RunArgs& a, std::mt19937_64& rng) {
  if (const std::string needs = th::conform::non_default_server_options(sc); !needs.empty()) {
    th::conform::ScenarioRun r;
    r.verdict = th::conform::Verdict::kSkip;
    r.reason = "needs server options a shared target may not have: " + needs;
    return r;
  }
  th::conform::PlayOptions po;
  po.keep_wire = !a.record_dir.empty();
  po.isolation_tag = run_tag(rng);
  po.interrupted = &g_interrupted;
  po.force_real_time = a.real_time;
  po.tolerance_ms = a.tolerance_ms;
  po.max_real_ms = a.max_real_ms;
  for (const auto& [name, c] : sc.clients) {
    // Authorized clients use the target's token; the others keep their wrong one.
    po.authorization[name] = c.token.empty() ? "" : "Bearer " + (c.authorized ? a.token : c.token);
  }
  return th::conform::play_live(sc, a.target, po);
}

std::string shell_quote(const std::string& s) {
  if (s.find_first_of(" '\"$`\\") == std::string::npos) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The command that reruns one rule on one scenario: the same target, never the token.
std::string rerun_prefix(const RunArgs& a) {
  std::string p = "taskconform run";
  if (a.mutant != th::Mutant::kNone) p += " --mutant " + std::string(th::to_name(a.mutant));
  for (th::Variant v : a.variants) p += " --variant " + std::string(th::to_name(v));
  if (!a.target_url.empty()) p += " --target " + shell_quote(a.target_url) + " --token-file TOKEN_FILE";
  return p;
}

// Expected failures: {"expectedFailures": ["RULE-ID", ...]}.
bool read_baseline(const std::string& path, std::set<std::string>& ids, std::string& err) {
  std::ifstream in(path);
  if (!in) {
    err = "cannot read the baseline " + path;
    return false;
  }
  try {
    const auto j = nlohmann::json::parse(in);
    for (const auto& id : j.at("expectedFailures")) ids.insert(id.get<std::string>());
  } catch (const std::exception&) {
    err = path + ": a baseline is {\"expectedFailures\": [\"RULE-ID\", ...]}";
    return false;
  }
  return true;
}

void print_rules(const th::conform::SuiteResult& s, const th::reports::ReportOptions& ro) {
  const std::vector<int> counts = th::conform::verdict_counts(s.rules);
  for (const auto& r : s.rules) {
    std::printf("%-12s %-16s %-6s %s\n", th::conform::to_name(r.verdict), r.rule->id.c_str(),
                th::conform::to_name(r.rule->level), r.summary.c_str());
    for (const auto& per : r.results) {
      if (per.result.outcome != th::conform::Outcome::kFail) continue;
      for (const auto& v : per.result.violations) {
        std::printf("    %s %s t=%lld: %s\n", per.scenario.c_str(), v.where.c_str(), static_cast<long long>(v.t_ms),
                    v.message.c_str());
      }
      std::string file = per.scenario;
      for (const auto& sc : s.scenarios) {
        if (sc.name == per.scenario) file = sc.file;
      }
      std::printf("    rerun: %s\n", th::reports::rerun_command(ro, file, r.rule->id).c_str());
    }
  }
  std::printf("taskconform: rules: %d passed, %d failed, %d inconclusive, %d not run\n", counts[0], counts[1], counts[2],
              counts[static_cast<int>(th::conform::Verdict::kNotRun)]);
}

// Real-time tolerance: twice the worst loopback round trip to the target plus the
// worst scheduler oversleep, measured now, never below a floor. Shown in the report.
int64_t calibrate(const RunArgs& a) {
  const int64_t kFloorMs = a.min_tolerance_ms;
  th::conform::RunClock clock;
  int64_t rtt_us = 0, jitter_us = 0;
  std::unique_ptr<th::ReferenceServer> local;
  std::thread serving;
  th::conform::Target t = a.target;
  if (a.target_url.empty()) {  // the embedded server: measure one like it
    th::ServerOptions o;
    o.tokens = {"taskconform-calibration"};
    o.service.stream_count_max = 4;
    o.service.listen_count_max = 1;
    local = std::make_unique<th::ReferenceServer>(o);
    t.port = local->bind();
    serving = std::thread([&] { local->serve(); });
  }
  const std::string auth = "Bearer " + (a.target_url.empty() ? std::string("taskconform-calibration") : a.token);
  for (int i = 0; i < 20; ++i) {
    auto ex = th::conform::exchange(t, clock, {"GET", "/api/v1/tasks/taskconform-calibration", "", "", auth}, 5000);
    if (ex.status == 0) break;  // a target that does not answer is not measured 20 times
    rtt_us = std::max(rtt_us, ex.answered_us - ex.sent_us);
    const int64_t before = clock.now_us();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    jitter_us = std::max(jitter_us, clock.now_us() - before - 2000);
  }
  if (local) {
    local->stop();
    serving.join();
  }
  if (rtt_us == 0) rtt_us = 5000;  // not measured: the bound of one try
  const int64_t tol = std::max<int64_t>(kFloorMs, (2 * rtt_us + jitter_us + 999) / 1000);
  std::printf("calibration: round trip max %.1f ms, scheduler oversleep max %.1f ms: real-time tolerance %lld ms\n",
              static_cast<double>(rtt_us) / 1000.0, static_cast<double>(jitter_us) / 1000.0, static_cast<long long>(tol));
  return tol;
}

// --record: the run as a cassette, DIR/NAME.cassette.json (NAME-N with --repeat).
bool write_cassette(const RunArgs& a, const nlohmann::json& scenario_doc, const std::string& name,
                    const th::conform::ScenarioRun& run, std::string& err) {
  std::error_code ec;
  std::filesystem::create_directories(a.record_dir, ec);
  th::conform::CassetteInfo info;
  info.tool = std::string("taskconform ") + th::conform::kSuiteVersion;
  info.target = a.target_url.empty() ? "embedded reference server" : a.target.url();
  info.mutant = a.mutant == th::Mutant::kNone ? "" : std::string(th::to_name(a.mutant));
  info.seed = a.seed;
  info.secrets = {a.token};
  const std::string path = (std::filesystem::path(a.record_dir) / (name + ".cassette.json")).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << th::conform::make_cassette(scenario_doc, run, info).dump(1) << '\n';
  if (!out.flush()) {
    err = "cannot write the cassette " + path;
    return false;
  }
  return true;
}

nlohmann::json scenario_doc(const th::Scenario& sc) {
  std::ifstream in(sc.file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str(), nullptr, false);
}

// The scenarios this run plays (the shard's share of the files), or 2 with a message.
int load_scenarios(const RunArgs& a, std::vector<th::Scenario>& scenarios, std::vector<std::string>& played_files) {
  for (size_t i = 0; i < a.files.size(); ++i) {
    if (static_cast<int>(i % static_cast<size_t>(a.shard_count)) != a.shard_index - 1) continue;
    played_files.push_back(a.files[i]);
    try {
      scenarios.push_back(th::load_scenario(a.files[i]));
    } catch (const th::ScenarioError& e) {
      std::fprintf(stderr, "taskconform: %s\n", e.what());
      return 2;
    }
  }
  return -1;
}

// Unreachable is a usage problem (2), not a verdict; -1 when the target answers.
int probe_target(const RunArgs& a) {
  if (a.target_url.empty()) return -1;
  th::conform::RunClock rc;
  auto probe = th::conform::exchange(a.target, rc, {"GET", "/api/v1/tasks/taskconform-probe", "", "", "Bearer " + a.token}, 5000);
  if (probe.status == 0) {
    std::fprintf(stderr, "taskconform: the target %s does not answer: %s\n", a.target.url().c_str(), probe.error.c_str());
    return 2;
  }
  return -1;
}

void print_scenario(const th::conform::ScenarioOutcome& sc) {
  const auto& r = sc.run;
  std::printf("%-12s %-30s %5lld ms%s%s\n", th::conform::to_name(r.verdict), sc.name.c_str(),
              static_cast<long long>(r.wall_ms), r.reason.empty() ? "" : "  ", r.reason.c_str());
  for (const auto& f : r.failures) std::printf("    %s: %s\n", sc.file.c_str(), f.c_str());
  for (const auto& f : r.findings) std::printf("    %s: %s\n", sc.file.c_str(), f.describe().c_str());
  for (const auto& d : r.diagnostics) std::printf("    diagnostic (the model differs): %s\n", d.c_str());
  std::fflush(stdout);
}

// Plays every scenario (--repeat times) against the target or the embedded server
// and judges every rule. verbose: progress, a line per scenario, the model's second
// opinion; quiet runs (mutants, variants, matrix) print nothing. 2 when a cassette
// cannot be written, else -1.
// Judges every rule over the scenarios played so far; the rest are left out, why_not
// saying why. Also what an interrupted or failed run still reports.
void judge_suite(const RunArgs& a, const std::vector<th::Scenario>& scenarios, const std::vector<std::string>& played_files,
                 const std::string& why_not, th::conform::SuiteResult& suite) {
  for (const auto& sc : suite.scenarios) {
    if (sc.run.verdict == th::conform::Verdict::kPass || sc.run.verdict == th::conform::Verdict::kFail) {
      if (!sc.run.record.virtual_time) suite.virtual_time = false;
    }
  }
  suite.tolerance_ms = 0;
  suite.max_latency_ms = suite.virtual_time ? 0 : a.max_latency_ms;
  for (const auto& sc : suite.scenarios) {
    if (!sc.run.record.virtual_time) suite.tolerance_ms = std::max(suite.tolerance_ms, sc.run.record.tolerance_ms);
  }
  auto left_out = left_out_scenarios(a, played_files);
  for (const auto& sc : scenarios) {
    const bool ran = std::any_of(suite.scenarios.begin(), suite.scenarios.end(),
                                 [&](const th::conform::ScenarioOutcome& o) { return o.file == sc.file; });
    if (!ran) left_out.push_back({sc.name, sc.rules, why_not});
  }
  suite.rules = th::conform::judge(suite.scenarios, all_rules(), select_rules(a), left_out);
}

int play_suite(const RunArgs& a, const std::vector<th::Scenario>& scenarios, const std::vector<std::string>& played_files,
               bool verbose, th::conform::SuiteResult& suite) {
  const bool progress = verbose && isatty(STDERR_FILENO);
  // Run tags come from --seed when given (reproducible), else from the OS.
  std::mt19937_64 rng(a.seed ? *a.seed : std::random_device{}());
  suite.target = a.target_url.empty() ? "the reference server, in-process" : a.target.url();
  th::conform::RunClock wall;
  size_t done = 0;
  // A target that broke --max-errors scenarios has shown what it is: the rest are not
  // played, so a hostile target cannot hold the run for every scenario's deadlines.
  int errors = 0;
  const bool stop_on_errors = !a.target_url.empty();
  auto stopped = [&] { return g_interrupted || (stop_on_errors && errors >= a.limits.max_errors); };
  for (int rep = 0; rep < a.repeat && !stopped(); ++rep) {
    for (const auto& sc : scenarios) {
      if (stopped()) break;
      if (progress) std::fprintf(stderr, "\r\033[K[%zu/%zu] %s", ++done, scenarios.size() * static_cast<size_t>(a.repeat), sc.name.c_str());
      auto r = a.target_url.empty() ? run_embedded(sc, a) : run_target(sc, a, rng);
      if (progress) std::fprintf(stderr, "\r\033[K");
      if (verbose && (r.verdict == th::conform::Verdict::kPass || r.verdict == th::conform::Verdict::kFail)) {
        // The second opinion: the model's prediction for the same scenario.
        th::TraceWriter trace;
        const th::PlayResult predicted = th::play_scenario(sc, 1, trace);
        r.departures = th::conform::departures_from_model(predicted.streams, r.observed, r.record.virtual_time);
        for (const auto& d : r.departures) r.diagnostics.push_back(d.text);
      }
      errors += r.verdict == th::conform::Verdict::kError;
      suite.scenarios.push_back({sc.name, sc.file, sc.title, std::move(r), sc.rules});
      if (verbose) print_scenario(suite.scenarios.back());
    }
  }
  // Real time: the tolerance from the whole run's latency samples (each stream judged
  // with the others' samples), and the latency budget; then the cassettes, so their
  // verdicts are the ones judged.
  std::vector<th::conform::RunRecord*> real_time;
  for (auto& sc : suite.scenarios) {
    if (!sc.run.record.virtual_time) {
      sc.run.record.latency_budget_ms = a.max_latency_ms;
      real_time.push_back(&sc.run.record);
    }
  }
  if (!real_time.empty()) suite.latency = th::conform::apply_run_tolerance(real_time, a.min_tolerance_ms, a.tolerance_ms);
  for (size_t i = 0; i < suite.scenarios.size() && !a.record_dir.empty(); ++i) {
    const auto& sc = suite.scenarios[i];
    if (sc.run.verdict == th::conform::Verdict::kSkip) continue;
    std::string err;
    const size_t rep = i / std::max<size_t>(scenarios.size(), 1);
    const std::string name = a.repeat > 1 ? sc.name + "-" + std::to_string(rep + 1) : sc.name;
    if (!write_cassette(a, scenario_doc(*std::find_if(scenarios.begin(), scenarios.end(), [&](const th::Scenario& x) {
                          return x.file == sc.file;
                        })),
                        name, sc.run, err)) {
      return usage_error(err);
    }
  }
  const std::string why_not = g_interrupted ? "not played: the run was interrupted"
                                            : "not played: " + std::to_string(errors) +
                                                  " scenarios ended in ERROR against the target (--max-errors " +
                                                  std::to_string(a.limits.max_errors) + ")";
  if (!g_interrupted && stopped() && verbose) std::printf("taskconform: %s\n", why_not.c_str() + 12);
  judge_suite(a, scenarios, played_files, why_not, suite);
  suite.wall_ms = wall.now_us() / 1000;
  return -1;
}

void print_scenario_counts(const th::conform::SuiteResult& suite) {
  int counts[th::conform::kVerdictCount] = {};
  int findings = 0;
  for (const auto& sc : suite.scenarios) {
    ++counts[static_cast<int>(sc.run.verdict)];
    findings += static_cast<int>(sc.run.findings.size());
  }
  std::printf("taskconform: scenarios: %d passed, %d failed, %d skipped, %d errors; %d findings below MUST\n\n", counts[0],
              counts[1], counts[3], counts[4], findings);
}

// A baseline's expected failures do not fail the run; those that now pass are stale.
void apply_baseline(const std::set<std::string>& baseline, th::conform::SuiteResult& suite) {
  for (auto& r : suite.rules) {
    if (!baseline.count(r.rule->id)) continue;
    if (r.verdict == th::conform::Verdict::kPass) {
      std::printf("taskconform: baseline entry %s is stale: the rule passes now\n", r.rule->id.c_str());
    } else {
      r.summary += " (expected by the baseline)";
      r.verdict = th::conform::Verdict::kSkip;
    }
  }
}

int cmd_run(const std::vector<std::string>& args) {
  RunArgs a;
  if (int status = parse_run(args, a); status >= 0) return status;
  std::set<std::string> baseline;
  if (!a.baseline_path.empty()) {
    std::string err;
    if (!read_baseline(a.baseline_path, baseline, err)) return usage_error(err);
  }
  std::vector<th::Scenario> scenarios;
  std::vector<std::string> played_files;
  if (int status = load_scenarios(a, scenarios, played_files); status >= 0) return status;
  if (!a.target_url.empty()) th::conform::set_max_requests_per_second(a.max_rps);
  // SIGINT: finish the current scenario's clean-up, write the reports, stop.
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigaction(SIGINT, &sa, nullptr);
  th::conform::SuiteResult suite;
  suite.target = a.target_url.empty() ? "the reference server, in-process" : a.target.url();
  // From here on the reports are written whatever happens: an unreachable target or an
  // internal error exits 2 with a message, and the reports hold what the run has.
  int early = -1;
  try {
    early = probe_target(a);
    if (early < 0) {
      a.tolerance_ms = calibrate(a);
      if (int status = play_suite(a, scenarios, played_files, true, suite); status >= 0) return status;
    } else {
      judge_suite(a, scenarios, played_files, "not played: the target does not answer", suite);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "taskconform: internal error: %s; the reports hold what the run has\n", e.what());
    early = 2;
    judge_suite(a, scenarios, played_files, "not played: the runner failed (internal error)", suite);
  }
  print_scenario_counts(suite);
  if (!suite.virtual_time) {
    std::printf("real time: tolerance %lld ms from %zu latency samples (p1 %lld, p50 %lld, p99 %lld, max %lld ms)%s; "
                "latency budget %lld ms\n\n",
                static_cast<long long>(suite.tolerance_ms), suite.latency.count, static_cast<long long>(suite.latency.p1_ms),
                static_cast<long long>(suite.latency.p50_ms), static_cast<long long>(suite.latency.p99_ms),
                static_cast<long long>(suite.latency.max_ms),
                suite.latency.count < th::conform::kMinLatencySamples ? " (too few: the calibration's)" : "",
                static_cast<long long>(suite.max_latency_ms));
  }
  th::reports::ReportOptions ro;
  ro.dir = a.report_dir;
  ro.rerun_prefix = rerun_prefix(a);
  print_rules(suite, ro);
  apply_baseline(baseline, suite);
  std::string err;
  if (!th::reports::write_reports(suite, ro, err)) {
    std::fprintf(stderr, "taskconform: %s\n", err.c_str());
    return 2;
  }
  std::error_code ec;
  const auto html = std::filesystem::absolute(std::filesystem::path(a.report_dir) / "index.html", ec);
  std::printf("report: %s\n", html.string().c_str());
  if (early >= 0) return early;
  for (const auto& sc : suite.scenarios) {
    if (sc.run.internal_error) {
      std::fprintf(stderr, "taskconform: %s: %s\n", sc.name.c_str(), sc.run.reason.c_str());
      return 2;
    }
  }
  if (g_interrupted) {
    std::fprintf(stderr, "taskconform: interrupted; the tasks created so far were cancelled\n");
    return 130;
  }
  return th::conform::exit_status(suite, a.strict);
}

// One generated workload played live and judged: what failed, or nothing. Runs the
// target cannot judge (skipped, inconclusive) pass: they show no fault.
std::vector<std::string> judge_live(const nlohmann::json& doc, const RunArgs& a, std::mt19937_64& rng, int& skipped) {
  th::Scenario sc;
  try {
    sc = th::parse_scenario_json(doc, "<generated>");
  } catch (const th::ScenarioError& e) {
    return {std::string("the generator wrote an invalid scenario: ") + e.what()};
  }
  auto r = a.target_url.empty() ? run_embedded(sc, a) : run_target(sc, a, rng);
  if (!r.record.virtual_time) {
    r.record.latency_budget_ms = a.max_latency_ms;
    th::conform::apply_run_tolerance({&r.record}, a.min_tolerance_ms, a.tolerance_ms);
  }
  if (r.verdict == th::conform::Verdict::kError) return {"the run errored: " + r.reason};
  if (r.verdict == th::conform::Verdict::kSkip || r.verdict == th::conform::Verdict::kInconclusive) {
    ++skipped;
    return {};
  }
  std::vector<std::string> failures;
  for (const auto* rule : select_rules(a)) {
    for (const auto& v : rule->check(r.record).violations) failures.push_back(th::conform::describe(*rule, v));
  }
  return failures;
}

// taskconform fuzz: generated workloads against the target (default: the embedded
// reference server); the first failure is shrunk against it and written out.
int cmd_fuzz(const std::vector<std::string>& args) {
  th::fuzz::FuzzOptions fo;
  std::string out_path;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& k = args[i];
    const bool has = i + 1 < args.size();
    auto number = [&](int lo, int hi, int& out) {
      const std::string v = has ? args[++i] : "";
      if (v.empty() || v.size() > 7 || !std::all_of(v.begin(), v.end(), ::isdigit)) return false;
      out = std::stoi(v);
      return out >= lo && out <= hi;
    };
    if (k == "--runs") {
      if (!number(1, 1'000'000, fo.runs)) return usage_error("--runs takes 1..1000000");
    } else if (k == "--steps") {
      if (!number(1, 10'000, fo.max_steps)) return usage_error("--steps takes 1..10000");
    } else if (k == "--out") {
      if (!has || args[i + 1].empty()) return usage_error("--out takes a path");
      out_path = args[++i];
    } else if (k == "--no-shrink") {
      fo.shrink = false;
    } else {
      rest.push_back(k);
    }
  }
  RunArgs a;
  if (int status = parse_run(rest, a); status >= 0) return status;
  fo.seed = a.seed.value_or(1);
  fo.default_server = !a.target_url.empty();  // a shared target has its own options
  if (out_path.empty()) out_path = "fuzz-failure-" + std::to_string(fo.seed) + ".json";
  if (!a.target_url.empty()) th::conform::set_max_requests_per_second(a.max_rps);
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigaction(SIGINT, &sa, nullptr);
  std::mt19937_64 rng(fo.seed);
  int skipped = 0;
  const auto r = th::fuzz::fuzz(fo, [&](const nlohmann::json& doc) {
    if (g_interrupted) return std::vector<std::string>{};
    return judge_live(doc, a, rng, skipped);
  });
  if (!r.error.empty()) {
    std::fprintf(stderr, "taskconform: the workload search failed: %s\n", r.error.c_str());
    return 2;
  }
  if (g_interrupted) return 130;
  const std::string target = a.target_url.empty() ? "the embedded reference server" : a.target.url();
  if (!r.failed) {
    std::printf("taskconform fuzz: %d generated workloads (seed %llu) against %s: no rule failed (%d could not be judged)\n",
                r.passed, static_cast<unsigned long long>(fo.seed), target.c_str(), skipped);
    return 0;
  }
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  out << th::fuzz::scenario_file_text(r.scenario);
  if (!out.flush()) return usage_error("cannot write " + out_path);
  std::printf("taskconform fuzz: workload %d of seed %llu failed against %s; shrunk to %zu steps in %d plays:\n",
              r.passed + 1, static_cast<unsigned long long>(fo.seed), target.c_str(), r.scenario["steps"].size(), r.cases);
  for (const auto& f : r.failures) std::printf("    %s\n", f.c_str());
  std::printf("written: %s\nreproduce: %s %s\n", out_path.c_str(), rerun_prefix(a).c_str(), out_path.c_str());
  if (!a.record_dir.empty()) {
    // The smallest failing workload, played once more and recorded for tasksim replay.
    const th::Scenario sc = th::parse_scenario(r.scenario.dump(), out_path);
    const auto run = a.target_url.empty() ? run_embedded(sc, a) : run_target(sc, a, rng);
    std::string err;
    if (!write_cassette(a, r.scenario, sc.name, run, err)) return usage_error(err);
    int failed = 0;
    for (const auto& [id, v] : th::conform::rule_outcomes(run.record)) failed += v == "FAIL";
    std::printf("recorded: %s/%s.cassette.json (played again: %d rules failed)\n", a.record_dir.c_str(), sc.name.c_str(),
                failed);
  }
  return 1;
}

// Plays every scenario on the embedded server (with a.mutant / a.variants) and judges
// the rules, quietly.
th::conform::SuiteResult run_suite_quietly(const RunArgs& a, const std::vector<th::Scenario>& scenarios) {
  th::conform::SuiteResult suite;
  play_suite(a, scenarios, a.files, false, suite);
  return suite;
}

std::vector<std::string> failed_rules(const th::conform::SuiteResult& suite, th::conform::Level level) {
  std::vector<std::string> out;
  for (const auto& r : suite.rules) {
    if (r.verdict == th::conform::Verdict::kFail && r.rule->level == level) out.push_back(r.rule->id);
  }
  return out;
}

// What the suite did to one mutant: the rules that failed, by level (its killers), and
// the scenarios whose MUST expectations failed (shown, but no kill: they are not rules).
// A mutant that breaks only one of our decisions dies at SHOULD: that is its level.
struct MutantOutcome {
  std::string name;
  std::vector<std::string> must_rules, should_rules;
  std::vector<std::string> scenarios_failed;
  bool killed() const { return !must_rules.empty() || !should_rules.empty(); }
  const char* level() const { return !must_rules.empty() ? "MUST" : !should_rules.empty() ? "SHOULD" : ""; }
};

MutantOutcome judge_mutant(const std::string& name, const th::conform::SuiteResult& suite) {
  MutantOutcome out{name, failed_rules(suite, th::conform::Level::kMust), failed_rules(suite, th::conform::Level::kShould), {}};
  for (const auto& sc : suite.scenarios) {
    if (sc.run.verdict == th::conform::Verdict::kFail || sc.run.verdict == th::conform::Verdict::kError) {
      out.scenarios_failed.push_back(sc.name);
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : " ") + i;
  return out;
}

// One column of a matrix: the suite's reports in DIR/NAME/, and the column.
th::reports::MatrixColumn matrix_column(const std::string& dir, const std::string& name, const std::string& kind,
                                        th::conform::SuiteResult suite, bool as_expected, const std::string& outcome,
                                        const std::string& rerun) {
  th::reports::ReportOptions ro;
  ro.dir = (std::filesystem::path(dir) / name).string();
  ro.rerun_prefix = rerun;
  std::string err;
  if (!th::reports::write_reports(suite, ro, err)) std::fprintf(stderr, "taskconform: %s\n", err.c_str());
  return {name, kind, name + "/index.html", as_expected, outcome, std::move(suite)};
}

bool write_matrix_or_say(const std::string& dir, const std::string& title,
                         const std::vector<th::reports::MatrixColumn>& columns, bool quiet) {
  std::string err;
  if (!th::reports::write_matrix(dir, title, columns, err)) {
    std::fprintf(stderr, "taskconform: %s\n", err.c_str());
    return false;
  }
  std::error_code ec;
  std::fprintf(quiet ? stderr : stdout, "matrix: %s\n", std::filesystem::absolute(std::filesystem::path(dir) / "matrix.html", ec).string().c_str());
  return true;
}

// Options of the commands that run the whole suite against several servers:
// --json and --report-dir DIR (default reports/out/NAME).
struct SweepArgs {
  bool as_json = false;
  std::string report_dir;
};

int parse_sweep(const std::vector<std::string>& args, const char* command, SweepArgs& s, std::vector<std::string>* rest = nullptr) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--json") {
      s.as_json = true;
    } else if (args[i] == "--report-dir") {
      if (i + 1 >= args.size() || args[i + 1].empty()) return usage_error("--report-dir takes a folder");
      s.report_dir = args[++i];
    } else if (rest) {
      rest->push_back(args[i]);
    } else {
      return usage_error(std::string("unknown ") + command + " option " + args[i]);
    }
  }
  if (s.report_dir.empty()) s.report_dir = std::string("reports/out/") + command;
  return -1;
}

// taskconform mutants [--json] [--report-dir DIR]: the suite against each mutant of the
// reference server. A mutant is killed when a MUST rule fails against it, or, for one
// that breaks only a decision, a SHOULD rule. The run passes when the correct server
// passes, every mutant is killed, and every MUST rule is broken by some mutant (a rule
// no mutant breaks is not yet proven able to fail). Writes the matrix and a report per
// server into DIR.
// The scenarios in which the given rules failed: what a mutant needs to be seen.
std::vector<th::Scenario> killing_scenarios(const th::conform::SuiteResult& suite, const std::vector<std::string>& rules,
                                            const std::vector<th::Scenario>& scenarios) {
  std::set<std::string> names;
  for (const auto& r : suite.rules) {
    if (std::find(rules.begin(), rules.end(), r.rule->id) == rules.end()) continue;
    for (const auto& per : r.results) {
      if (per.result.outcome == th::conform::Outcome::kFail) names.insert(per.scenario);
    }
  }
  std::vector<th::Scenario> out;
  for (const auto& sc : scenarios) {
    if (names.count(sc.name)) out.push_back(sc);
  }
  return out;
}

// --real-time: each mutant whose bug shows without the test clock, played on the
// system clock, but only in the scenarios whose rules killed it with the test clock
// (a full real-time suite per mutant would take most of an hour). True when every
// observable mutant dies again, at the level it died at.
bool real_time_sweep(RunArgs a, const std::vector<th::Scenario>& scenarios,
                     const std::vector<std::pair<MutantOutcome, th::conform::SuiteResult>>& virtual_runs,
                     nlohmann::json& out, bool quiet) {
  a.real_time = true;
  a.tolerance_ms = calibrate(a);
  bool all = true;
  out["realTime"] = nlohmann::json::array();
  for (const auto& [o, suite] : virtual_runs) {
    if (g_interrupted) break;
    const th::Mutant m = *th::parse_mutant(o.name);
    const std::string why(th::unobservable_in_real_time(m));
    nlohmann::json row = {{"name", o.name}, {"observable", why.empty()}};
    if (!why.empty()) {
      row["reason"] = why;
      if (!quiet) std::printf("%-13s %-40s %s\n", "NOT OBSERVED", o.name.c_str(), why.c_str());
      out["realTime"].push_back(row);
      continue;
    }
    const auto& rules = o.must_rules.empty() ? o.should_rules : o.must_rules;
    a.mutant = m;
    // The scenarios that killed it and can be played on the wall clock, shortest
    // first, one at a time until one kills it again.
    auto candidates = killing_scenarios(suite, rules, scenarios);
    std::erase_if(candidates, [&](const th::Scenario& sc) { return sc.needs_test_clock || sc.end_ms > a.max_real_ms; });
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const th::Scenario& x, const th::Scenario& y) { return x.end_ms < y.end_ms; });
    th::conform::SuiteResult rt;
    std::vector<th::Scenario> subset;
    MutantOutcome k{o.name, {}, {}, {}};
    for (const auto& sc : candidates) {
      subset.push_back(sc);
      rt = th::conform::SuiteResult{};
      play_suite(a, {sc}, a.files, false, rt);
      k = judge_mutant(o.name, rt);
      const bool died = !o.must_rules.empty() ? !k.must_rules.empty() : k.killed();
      if (died || std::all_of(rt.scenarios.begin(), rt.scenarios.end(),
                              [](const auto& x) { return x.run.verdict == th::conform::Verdict::kError; })) {
        break;
      }
    }
    // A target the runner cannot read at all (no scenario could be judged: each ended
    // in ERROR) fails the run too (exit 2): that is seen, if not by a rule.
    const bool unreadable = !rt.scenarios.empty() &&
                            std::all_of(rt.scenarios.begin(), rt.scenarios.end(), [](const auto& sc) {
                              return sc.run.verdict == th::conform::Verdict::kError ||
                                     sc.run.verdict == th::conform::Verdict::kSkip;
                            }) &&
                            std::any_of(rt.scenarios.begin(), rt.scenarios.end(), [](const auto& sc) {
                              return sc.run.verdict == th::conform::Verdict::kError;
                            });
    const bool killed = (!o.must_rules.empty() ? !k.must_rules.empty() : k.killed()) || unreadable;
    row["unreadable"] = unreadable;
    all = all && killed;
    row["killed"] = killed;
    row["rules"] = o.must_rules.empty() ? k.should_rules : k.must_rules;
    row["scenarios"] = subset.size();
    if (!quiet) {
      const std::string by = unreadable ? "every scenario ERROR: the runner cannot read it"
                                        : joined(o.must_rules.empty() ? k.should_rules : k.must_rules);
      std::printf("%-13s %-40s %s (%zu scenarios on the system clock)\n", killed ? "RT KILLED" : "RT SURVIVED",
                  o.name.c_str(), by.c_str(), subset.size());
      std::fflush(stdout);
    }
    out["realTime"].push_back(row);
  }
  return all;
}

int cmd_mutants(const std::vector<std::string>& args) {
  SweepArgs sw;
  std::vector<std::string> rest;
  if (int status = parse_sweep(args, "mutants", sw, &rest); status >= 0) return status;
  bool real_time = false;
  for (const auto& k : rest) {
    if (k != "--real-time") return usage_error("unknown mutants option " + k);
    real_time = true;
  }
  RunArgs a;
  if (int status = parse_run({}, a); status >= 0) return status;
  std::vector<th::Scenario> scenarios;
  for (const auto& f : a.files) scenarios.push_back(th::load_scenario(f));
  std::vector<th::reports::MatrixColumn> columns;
  auto correct = run_suite_quietly(a, scenarios);
  const bool correct_passes = th::conform::exit_status(correct, false) == 0;
  columns.push_back(matrix_column(sw.report_dir, "correct", "reference", std::move(correct), correct_passes,
                                  correct_passes ? "passes" : "FAILS", "taskconform run"));
  size_t name_width = 0;
  for (th::Mutant m : th::all_mutants()) name_width = std::max(name_width, th::to_name(m).size());
  nlohmann::json out = {{"mutants", nlohmann::json::array()}};
  std::set<std::string> proven;
  size_t killed = 0, at_should = 0;
  std::vector<std::pair<MutantOutcome, th::conform::SuiteResult>> virtual_runs;
  for (th::Mutant m : th::all_mutants()) {
    a.mutant = m;
    auto suite = run_suite_quietly(a, scenarios);
    const MutantOutcome o = judge_mutant(std::string(th::to_name(m)), suite);
    if (real_time) virtual_runs.emplace_back(o, suite);
    proven.insert(o.must_rules.begin(), o.must_rules.end());
    killed += o.killed();
    at_should += o.killed() && o.must_rules.empty();
    out["mutants"].push_back({{"name", o.name}, {"killed", o.killed()}, {"level", o.level()}, {"rules", o.must_rules},
                              {"shouldRules", o.should_rules}, {"scenarios", o.scenarios_failed}});
    const std::string line = !o.killed() ? "(scenarios failing: " + std::to_string(o.scenarios_failed.size()) + ")"
                             : !o.must_rules.empty() ? "MUST: " + joined(o.must_rules)
                                                     : "SHOULD only (breaks a decision): " + joined(o.should_rules);
    if (!sw.as_json) {
      std::printf("%-8s %-*s  %s\n", o.killed() ? "KILLED" : "SURVIVED", static_cast<int>(name_width), o.name.c_str(),
                  line.c_str());
    }
    columns.push_back(matrix_column(sw.report_dir, o.name, "mutant", std::move(suite), o.killed(),
                                    o.killed() ? std::string("killed at ") + o.level() : "SURVIVED",
                                    "taskconform run --mutant " + o.name));
  }
  std::vector<std::string> unproven;
  for (const auto& r : th::conform::rule_catalog()) {
    if (r.level == th::conform::Level::kMust && !proven.count(r.id)) unproven.push_back(r.id);
  }
  const size_t total = th::all_mutants().size();
  out["score"] = static_cast<double>(killed) / static_cast<double>(total);
  out["killedOnlyAtShould"] = at_should;
  out["correctServerPasses"] = correct_passes;
  out["mustRulesNotYetProven"] = unproven;
  if (!write_matrix_or_say(sw.report_dir, "taskconform mutants: every mutant against every rule", columns, sw.as_json)) {
    return 2;
  }
  a.mutant = th::Mutant::kNone;
  const bool real_time_killed = !real_time || real_time_sweep(a, scenarios, virtual_runs, out, sw.as_json);
  if (sw.as_json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    if (!unproven.empty()) std::printf("UNPROVEN MUST rules no mutant breaks: %s\n", joined(unproven).c_str());
    std::printf("taskconform: %zu of %zu mutants killed (%zu only at SHOULD); the correct server %s; MUST rules no mutant "
                "breaks yet: %zu\n",
                killed, total, at_should, correct_passes ? "passes" : "FAILS", unproven.size());
  }
  return correct_passes && killed == total && unproven.empty() && real_time_killed ? 0 : 1;
}

// taskconform variants [--json] [--report-dir DIR]: the suite against each legal
// variant of the reference server, the mirror of mutants. A variant passes when no
// MUST rule or MUST expectation fails and every SHOULD rule that fails is one of the
// decisions the variant names as departed from. Exit 1 when one does not pass.
// The variant runs: each variant with the test clock, those about real time on the
// system clock instead. clock: "virtual", "system" or "both". (The busy store on the
// system clock is not among them yet: its snapshots make the run's tolerance about
// 500 ms, which leaves the timing rules inconclusive until scenarios can be rerun
// with their times scaled.)
std::vector<std::pair<th::Variant, bool>> variant_runs(const std::string& clock) {
  std::vector<std::pair<th::Variant, bool>> out;
  for (th::Variant v : th::all_variants()) {
    const bool real_time = th::about_real_time(v);
    if (clock == "both" || (clock == "system") == real_time) out.emplace_back(v, real_time);
  }
  return out;
}

int cmd_variants(const std::vector<std::string>& args) {
  SweepArgs sw;
  std::vector<std::string> rest;
  if (int status = parse_sweep(args, "variants", sw, &rest); status >= 0) return status;
  std::string clock = "both";
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == "--clock" && i + 1 < rest.size() &&
        (rest[i + 1] == "virtual" || rest[i + 1] == "system" || rest[i + 1] == "both")) {
      clock = rest[++i];
    } else {
      return usage_error("unknown variants option " + rest[i] + " (--clock takes virtual, system or both)");
    }
  }
  RunArgs a;
  if (int status = parse_run({}, a); status >= 0) return status;
  std::vector<th::Scenario> scenarios;
  for (const auto& f : a.files) scenarios.push_back(th::load_scenario(f));
  size_t name_width = 0;
  for (th::Variant v : th::all_variants()) name_width = std::max(name_width, th::to_name(v).size() + 14);
  std::vector<th::reports::MatrixColumn> columns;
  nlohmann::json out = {{"variants", nlohmann::json::array()}};
  size_t passing = 0;
  const auto runs = variant_runs(clock);
  if (std::any_of(runs.begin(), runs.end(), [](const auto& r) { return r.second; })) a.tolerance_ms = calibrate(a);
  for (const auto& [v, real_time] : runs) {
    if (g_interrupted) break;
    a.variants = {v};
    a.real_time = real_time;
    auto suite = run_suite_quietly(a, scenarios);
    const std::string name = std::string(th::to_name(v)) + (real_time ? "-system-clock" : "");
    const auto& departs = th::departs_from(v);
    std::vector<std::string> unnamed;
    for (const auto& id : failed_rules(suite, th::conform::Level::kShould)) {
      if (std::find(departs.begin(), departs.end(), id) == departs.end()) unnamed.push_back(id);
    }
    const auto must = failed_rules(suite, th::conform::Level::kMust);
    std::vector<std::string> failed_scenarios, findings;
    for (const auto& sc : suite.scenarios) {
      if (sc.run.verdict == th::conform::Verdict::kFail || sc.run.verdict == th::conform::Verdict::kError) {
        failed_scenarios.push_back(sc.name);
      }
      for (const auto& f : sc.run.findings) findings.push_back(sc.name + ": " + f.describe());
    }
    const bool passes = th::conform::exit_status(suite, false) == 0 && unnamed.empty();
    passing += passes;
    out["variants"].push_back({{"name", name}, {"clock", real_time ? "system" : "virtual"},
                               {"description", std::string(th::description(v))}, {"passes", passes},
                               {"departs_from", departs}, {"failedMust", must}, {"failedShouldNotNamed", unnamed},
                               {"scenariosFailed", failed_scenarios}, {"findings", findings}});
    std::string line = passes ? "passes" : "FAILS:";
    if (!must.empty()) line += " MUST " + joined(must);
    if (!unnamed.empty()) line += " SHOULD (not a named departure) " + joined(unnamed);
    if (!failed_scenarios.empty()) line += " scenarios " + joined(failed_scenarios);
    if (passes && !departs.empty()) line += " (departs from " + joined(departs) + ")";
    if (!sw.as_json) {
      std::printf("%-6s %-*s  %s\n", passes ? "PASS" : "FAIL", static_cast<int>(name_width), name.c_str(), line.c_str());
      std::fflush(stdout);
    }
    columns.push_back(matrix_column(sw.report_dir, name, "variant", std::move(suite), passes, line,
                                    "taskconform run --variant " + name));
  }
  if (!write_matrix_or_say(sw.report_dir, "taskconform variants: every legal variant against every rule", columns,
                           sw.as_json)) {
    return 2;
  }
  const size_t total = runs.size();
  if (sw.as_json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("taskconform: %zu of %zu legal variant runs pass\n", passing, total);
  }
  if (g_interrupted) return 130;
  return passing == total ? 0 : 1;
}

// A matrix target's token: --token-file NAME=FILE, else TASKCONFORM_TOKEN_<NAME> (upper
// case, other characters as _), else TASKCONFORM_TOKEN. Never from the command line.
std::string matrix_token(const std::string& name, const std::map<std::string, std::string>& files, std::string& err) {
  if (auto it = files.find(name); it != files.end()) {
    std::ifstream in(it->second);
    std::string token;
    if (!in || !std::getline(in, token) || token.empty()) err = "cannot read a token for " + name + " from " + it->second;
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    return token;
  }
  std::string env = "TASKCONFORM_TOKEN_";
  for (char c : name) env += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  if (const char* t = std::getenv(env.c_str()); t && *t) return t;
  if (const char* t = std::getenv("TASKCONFORM_TOKEN"); t && *t) return t;
  err = "no token for " + name + ": give --token-file " + name + "=FILE, or set " + env + " or TASKCONFORM_TOKEN";
  return "";
}

// taskconform matrix --target NAME=URL... [--token-file NAME=FILE] [--report-dir DIR]
// [--json] [run options]: the suite against each server, one matrix.
int cmd_matrix(const std::vector<std::string>& args) {
  SweepArgs sw;
  std::vector<std::string> rest, shared;
  if (int status = parse_sweep(args, "matrix", sw, &rest); status >= 0) return status;
  std::vector<std::pair<std::string, std::string>> targets;
  std::map<std::string, std::string> token_files;
  for (size_t i = 0; i < rest.size(); ++i) {
    const bool pair_option = rest[i] == "--target" || rest[i] == "--token-file";
    if (!pair_option) {
      if (rest[i] == "--token") return usage_error("matrix takes tokens from --token-file NAME=FILE or the environment");
      shared.push_back(rest[i]);
      continue;
    }
    const std::string v = i + 1 < rest.size() ? rest[++i] : "";
    const size_t eq = v.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) return usage_error(rest[i - 1] + " takes NAME=VALUE");
    const std::string name = v.substr(0, eq);
    if (name.find_first_of("/\\. ") != std::string::npos) return usage_error("a matrix NAME is a plain word: " + name);
    if (rest[i - 1] == "--target") {
      targets.emplace_back(name, v.substr(eq + 1));
    } else {
      token_files[name] = v.substr(eq + 1);
    }
  }
  if (targets.empty()) return usage_error("matrix needs at least one --target NAME=URL");
  std::vector<th::reports::MatrixColumn> columns;
  nlohmann::json out = {{"servers", nlohmann::json::array()}};
  bool all_pass = true;
  for (const auto& [name, url] : targets) {
    std::string err;
    const std::string token = matrix_token(name, token_files, err);
    if (!err.empty()) return usage_error(err);
    std::vector<std::string> run_args = shared;
    run_args.insert(run_args.end(), {"--target", url, "--token", token});
    RunArgs a;
    if (int status = parse_run(run_args, a); status >= 0) return status;
    std::vector<th::Scenario> scenarios;
    std::vector<std::string> played_files;
    if (int status = load_scenarios(a, scenarios, played_files); status >= 0) return status;
    if (int status = probe_target(a); status >= 0) return status;
    th::conform::set_max_requests_per_second(a.max_rps);
    a.tolerance_ms = calibrate(a);
    th::conform::SuiteResult suite;
    if (int status = play_suite(a, scenarios, played_files, false, suite); status >= 0) return status;
    const bool passes = th::conform::exit_status(suite, a.strict) == 0;
    all_pass = all_pass && passes;
    const auto must = failed_rules(suite, th::conform::Level::kMust);
    out["servers"].push_back({{"name", name}, {"target", url}, {"passes", passes}, {"failedMust", must},
                              {"failedShould", failed_rules(suite, th::conform::Level::kShould)}});
    if (!sw.as_json) std::printf("%-6s %-20s %s %s\n", passes ? "PASS" : "FAIL", name.c_str(), url.c_str(), joined(must).c_str());
    columns.push_back(matrix_column(sw.report_dir, name, "target", std::move(suite), passes, passes ? "passes" : "fails",
                                    "taskconform run --target " + shell_quote(url) + " --token-file TOKEN_FILE"));
    if (g_interrupted) break;
  }
  if (!write_matrix_or_say(sw.report_dir, "taskconform matrix", columns, sw.as_json)) return 2;
  if (sw.as_json) std::printf("%s\n", out.dump(2).c_str());
  if (g_interrupted) return 130;
  return all_pass ? 0 : 1;
}

int cmd_list(const std::vector<std::string>& args) {
  bool as_json = false;
  for (const auto& k : args) {
    if (k == "--json") {
      as_json = true;
    } else {
      return usage_error("unknown list option " + k);
    }
  }
  if (as_json) {
    nlohmann::json out = {{"suiteVersion", th::conform::kSuiteVersion}, {"rules", nlohmann::json::array()}};
    for (const auto& r : th::conform::rule_catalog()) {
      out["rules"].push_back({{"id", r.id}, {"level", th::conform::to_name(r.level)}, {"basis", th::conform::to_name(r.basis)},
                              {"source", r.source}, {"family", r.family}, {"sentence", r.sentence},
                              {"leastEvidence", r.least_evidence}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  for (const auto& r : th::conform::rule_catalog()) {
    std::printf("%-16s %-6s %-10s %-15s %s\n    basis: %s\n", r.id.c_str(), th::conform::to_name(r.level),
                th::conform::to_name(r.basis), r.family.c_str(), r.sentence.c_str(), r.source.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);  // a server that closes on us is a verdict, not a crash
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage_error("no command given");
  const std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kUsage, stdout);
    std::fputs(th::conform::limits_usage().c_str(), stdout);
    return 0;
  }
  // Every command speaks one dialect; lattice-rest when none is named.
  std::string dialect, dialect_error;
  if (!th::extract_dialect(args, dialect, dialect_error)) return usage_error(dialect_error);
  if (cmd == "run") return cmd_run(args);
  if (cmd == "list") return cmd_list(args);
  if (cmd == "mutants") return cmd_mutants(args);
  if (cmd == "matrix") return cmd_matrix(args);
  if (cmd == "variants") return cmd_variants(args);
  if (cmd == "fuzz") return cmd_fuzz(args);
  return usage_error("unknown command \"" + cmd + "\"");
}
