// tasksim: the Lattice task service on a virtual clock.
//   tasksim run FILE... [--seed N] [--trace PATH]   play scenarios, check expectations
//   tasksim bench [--json] [--workload NAME] [--hours H] [--seed N]
// Exit status: 0 all passed, 1 an expectation failed, 2 bad usage or bad input.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "sim/player.h"
#include "sim/scenario.h"
#include "sim/trace.h"
#include "sim/workload.h"

namespace {

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
    th::TraceWriter trace(trace_path.empty() ? nullptr : &trace_file);
    const th::PlayResult r = th::play_scenario(sc, seed, trace);
    std::printf("%s %-34s trace=%s lines=%llu\n", r.passed() ? "PASS" : "FAIL", sc.name.c_str(),
                r.trace_hash.c_str(), static_cast<unsigned long long>(r.trace_lines));
    for (const auto& f : r.failures) std::printf("    %s: %s\n", sc.file.c_str(), f.c_str());
    if (verbose) std::printf("    %s\n", sc.title.c_str());
    (r.passed() ? passed : failed)++;
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
  const auto t0 = std::chrono::steady_clock::now();
  if (!th::run_workload(workload, seed, static_cast<int64_t>(hours), s)) {
    return usage_error("unknown workload \"" + workload + "\" (known: day-1k)");
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
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
  if (cmd == "run") return cmd_run(args);
  if (cmd == "bench") return cmd_bench(args);
  return usage_error("unknown command \"" + cmd + "\"");
}
