// taskconform: plays the scenario library against a server over HTTP and judges it.
//   taskconform run [SCENARIO.json...] [--target URL (--token T | --token-file F)]
//                   [--header K:V] [--ca-cert PEM] [--scenarios DIR]
// With no target, each scenario runs against the reference server started in-process
// on a loopback port with the test clock. Exit: 0 all passed (skips allowed), 1 a
// failure or error, 2 bad usage or an unreachable target.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "conformance/live_player.h"
#include "conformance/rules.h"
#include "scenarios/format/scenario.h"
#include "sim/server.h"

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  taskconform run [SCENARIO.json...] [--scenarios DIR]\n"
    "                  [--target URL (--token T | --token-file F)] [--header K:V] [--ca-cert PEM]\n"
    "      Plays the scenarios over HTTP and checks every expectation. Without --target,\n"
    "      each runs against the reference server started in-process (test clock on).\n"
    "      The token is never printed. Default scenarios: every *.json in --scenarios\n"
    "      (default: " TH_SCENARIO_DIR ").\n"
    "  taskconform --help\n"
    "exit status: 0 all passed, 1 a failure or error, 2 bad usage or unreachable target\n";

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
};

int parse_run(const std::vector<std::string>& args, RunArgs& a) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& k = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    std::string v;
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
    } else if (k == "--help" || k == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (k.rfind("-", 0) == 0) {
      return usage_error("unknown option " + k);
    } else {
      a.files.push_back(k);
    }
  }
  if (a.token.empty()) {
    if (const char* env = std::getenv("TASKCONFORM_TOKEN")) a.token = env;
  }
  if (!a.target_url.empty()) {
    std::string err;
    const std::vector<std::pair<std::string, std::string>> headers = a.target.headers;
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

th::ServerOptions embedded_options(const th::Scenario& sc) {
  th::ServerOptions o;
  o.virtual_clock = true;
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

th::conform::ScenarioRun run_embedded(const th::Scenario& sc) {
  th::ReferenceServer server(embedded_options(sc));
  const int port = server.bind();
  if (port == 0) {
    th::conform::ScenarioRun r;
    r.verdict = th::conform::Verdict::kError;
    r.reason = "the embedded server could not start: " + server.error();
    return r;
  }
  std::thread serving([&] { server.serve(); });
  th::conform::Target t;
  t.port = port;
  th::conform::PlayOptions po;
  for (const auto& [name, c] : sc.clients) po.authorization[name] = c.token.empty() ? "" : "Bearer " + c.token;
  auto r = th::conform::play_live(sc, t, po);
  server.stop();
  serving.join();
  return r;
}

th::conform::ScenarioRun run_target(const th::Scenario& sc, const RunArgs& a) {
  th::conform::PlayOptions po;
  for (const auto& [name, c] : sc.clients) {
    // Authorized clients use the target's token; the others keep their wrong one.
    po.authorization[name] = c.token.empty() ? "" : "Bearer " + (c.authorized ? a.token : c.token);
  }
  return th::conform::play_live(sc, a.target, po);
}

// Every rule over every scenario's record; prints one line a rule. Returns how many
// MUST rules did not pass (FAIL or INCONCLUSIVE).
int judge(const std::vector<th::conform::RunRecord>& records) {
  using th::conform::Outcome;
  int bad = 0, passed = 0, failed = 0, inconclusive = 0;
  for (const auto& rule : th::conform::rule_catalog()) {
    int pass = 0;
    std::vector<std::string> fails, short_of;
    for (const auto& rec : records) {
      const auto res = rule.check(rec);
      if (res.outcome == Outcome::kPass) ++pass;
      if (res.outcome == Outcome::kInconclusive) short_of.push_back(rec.scenario + ": " + res.evidence);
      if (res.outcome == Outcome::kFail) {
        for (const auto& v : res.violations) {
          fails.push_back(rec.scenario + " " + v.where + " t=" + std::to_string(v.t_ms) + ": " + v.message);
        }
      }
    }
    const char* verdict = !fails.empty() ? "FAIL" : pass > 0 ? "PASS" : "INCONCLUSIVE";
    std::printf("%-12s %-16s %-6s %s\n", verdict, rule.id.c_str(), th::conform::to_name(rule.level),
                pass > 0 && fails.empty() ? ("(" + std::to_string(pass) + " scenarios)").c_str() : "");
    for (const auto& f : fails) std::printf("    %s\n", f.c_str());
    if (fails.empty() && pass == 0) {
      std::printf("    %s\n", short_of.empty() ? "no scenario exercised it" : short_of.front().c_str());
    }
    (!fails.empty() ? failed : pass > 0 ? passed : inconclusive)++;
    if (rule.level == th::conform::Level::kMust && (!fails.empty() || pass == 0)) ++bad;
  }
  std::printf("taskconform: rules: %d passed, %d failed, %d inconclusive\n", passed, failed, inconclusive);
  return bad;
}

int cmd_run(const std::vector<std::string>& args) {
  RunArgs a;
  if (int status = parse_run(args, a); status >= 0) return status;
  std::vector<th::Scenario> scenarios;
  for (const auto& f : a.files) {
    try {
      scenarios.push_back(th::load_scenario(f));
    } catch (const th::ScenarioError& e) {
      std::fprintf(stderr, "taskconform: %s\n", e.what());
      return 2;
    }
  }
  int counts[5] = {0, 0, 0, 0, 0};
  std::vector<th::conform::RunRecord> records;
  for (const auto& sc : scenarios) {
    auto r = a.target_url.empty() ? run_embedded(sc) : run_target(sc, a);
    std::printf("%-12s %-30s %5lld ms%s%s\n", th::conform::to_name(r.verdict), sc.name.c_str(),
                static_cast<long long>(r.wall_ms), r.reason.empty() ? "" : "  ", r.reason.c_str());
    for (const auto& f : r.failures) std::printf("    %s: %s\n", sc.file.c_str(), f.c_str());
    std::fflush(stdout);
    ++counts[static_cast<int>(r.verdict)];
    if (r.verdict == th::conform::Verdict::kPass || r.verdict == th::conform::Verdict::kFail) {
      records.push_back(std::move(r.record));
    }
  }
  std::printf("taskconform: scenarios: %d passed, %d failed, %d skipped, %d errors\n\n", counts[0], counts[1],
              counts[3], counts[4]);
  const int rules_bad = judge(records);
  return counts[1] + counts[4] + rules_bad == 0 ? 0 : 1;
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
    return 0;
  }
  if (cmd == "run") return cmd_run(args);
  return usage_error("unknown command \"" + cmd + "\"");
}
