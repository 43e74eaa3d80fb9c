// Benchmark of the reference server (label `bench`): `tasksim serve` in its own process,
// 1,000 SSE streams from this one. Reports update-to-delivery latency across all
// streams, heartbeat lateness, the server's RSS and create-task requests per second,
// as one JSON object; exits 1 when a target is missed (p99 <= 50 ms, RSS <= 256 MiB).
// usage: server_bench [STREAMS] [UPDATES]
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sim/tests/sse_client.h"

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

struct Server {
  pid_t pid = 0;
  int port = 0;
  Server() {
    int out[2];
    if (pipe(out) != 0) std::exit(2);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    const char* argv[] = {TASKSIM_PATH, "serve", "--port", "0", "--token", "tok", "--max-streams", "1100", nullptr};
    const int rc = posix_spawn(&pid, TASKSIM_PATH, &fa, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) std::exit(2);
    close(out[1]);
    std::string line;
    char ch = 0;
    while (read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
    close(out[0]);
    port = std::stoi(line.substr(line.rfind(':') + 1));
  }
  ~Server() {
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
  }
};

double create_rps(int port, int count) {
  const int threads = 4;
  const auto t0 = Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([port, count, t] {
      httplib::Client cli("127.0.0.1", port);
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);  // else Nagle and delayed ACKs cap it near 25 requests/s
      const httplib::Headers h{{"Authorization", "Bearer tok"}};
      for (int i = t; i < count; i += threads) {
        cli.Post("/api/v1/tasks", h, json{{"taskId", "rps-" + std::to_string(i)}}.dump(), "application/json");
      }
    });
  }
  for (auto& t : ts) t.join();
  return count / std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int streams = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int updates = argc > 2 ? std::atoi(argv[2]) : 20;
  struct rlimit rl {};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  Server server;
  const double rps = create_rps(server.port, 2000);

  // Each stream excludes the 2,000 preexisting tasks and beats every second.
  std::vector<std::unique_ptr<th::test::SseClient>> clients;
  for (int i = 0; i < streams; ++i) {
    clients.push_back(std::make_unique<th::test::SseClient>(
        server.port, "/api/v1/tasks/stream", R"({"excludePreexistingTasks":true,"heartbeatIntervalMs":1000})"));
  }
  int open = 0;
  for (auto& c : clients) open += c->wait_status() && c->status() == 200;

  httplib::Client pub("127.0.0.1", server.port);
  pub.set_tcp_nodelay(true);
  const httplib::Headers h{{"Authorization", "Bearer tok"}};
  std::map<std::string, Clock::time_point> sent;
  for (int u = 0; u < updates; ++u) {
    const std::string id = "lat-" + std::to_string(u);
    sent[id] = Clock::now();
    pub.Post("/api/v1/tasks", h, json{{"taskId", id}}.dump(), "application/json");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const long rss = rss_kib(server.pid);

  std::vector<double> latency, lateness;
  size_t delivered = 0;
  for (auto& c : clients) {
    const auto ev = c->events();
    const auto at = c->times();
    Clock::time_point last_beat{};
    for (size_t i = 0; i < ev.size(); ++i) {
      if (ev[i]["event"] == "heartbeat") {
        if (last_beat != Clock::time_point{}) lateness.push_back(std::max(0.0, ms_between(last_beat, at[i]) - 1000));
        last_beat = at[i];
      } else if (ev[i]["event"] == "task_event") {
        auto it = sent.find(ev[i]["taskEvent"]["task"]["version"]["taskId"].get<std::string>());
        if (it != sent.end()) {
          latency.push_back(ms_between(it->second, at[i]));
          ++delivered;
        }
      }
    }
  }
  for (auto& c : clients) c->stop();

  const double p99 = percentile(latency, 0.99);
  const json out = {{"streams_open", open},
                    {"updates", updates},
                    {"deliveries", delivered},
                    {"deliveries_expected", static_cast<size_t>(open) * static_cast<size_t>(updates)},
                    {"latency_ms_p50", percentile(latency, 0.50)},
                    {"latency_ms_p99", p99},
                    {"latency_ms_max", percentile(latency, 1.0)},
                    {"heartbeat_lateness_ms_p99", percentile(lateness, 0.99)},
                    {"server_rss_mib", static_cast<double>(rss) / 1024.0},
                    {"create_rps", rps}};
  std::printf("%s\n", out.dump().c_str());
  const bool ok = open == streams && delivered == static_cast<size_t>(open) * static_cast<size_t>(updates) &&
                  p99 <= 50.0 && rss <= 256 * 1024;
  if (!ok) std::fprintf(stderr, "server_bench: a target was missed (all streams open and served, p99 <= 50 ms, RSS <= 256 MiB)\n");
  return ok ? 0 : 1;
}
