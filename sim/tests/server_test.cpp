// The reference server over real HTTP on a loopback port (label `live`). Waits have
// generous deadlines; nothing here asserts how fast the server was.
#include <catch2/catch.hpp>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>

#include "scenarios/format/timefmt.h"
#include "sim/clock.h"
#include "sim/server.h"
#include "sim/tests/live_server.h"
#include "sim/tests/sse_client.h"

using namespace th;
using namespace th::test;
using json = nlohmann::json;

TEST_CASE("live: every endpoint over HTTP", "[live]") {
  ServerOptions o;
  o.service.listen_hold_ms = 200;
  Live s(o);
  auto c = s.post("/api/v1/tasks", R"({"taskId":"task-1","relations":{"assignee":{"system":{"entityId":"agent-1"}}}})");
  REQUIRE(c);
  CHECK(c->status == 201);
  CHECK(json::parse(c->body)["version"]["statusVersion"] == 1);
  CHECK(s.get("/api/v1/tasks/task-1")->status == 200);
  auto q = s.post("/api/v1/tasks/query", "{}");
  CHECK(json::parse(q->body)["tasks"].size() == 1);
  auto l = s.post("/api/v1/agent/listen", R"({"agentSelector":{"entityIds":["agent-1"]}})");
  REQUIRE(l);
  CHECK(json::parse(l->body)["executeRequest"]["task"]["status"]["status"] == "STATUS_SENT");
  auto empty = s.post("/api/v1/agent/listen", R"({"agentSelector":{"entityIds":["agent-1"]}})");
  CHECK(json::parse(empty->body) == json::object());  // held 200 ms, nothing to hand over
  auto u = s.put("/api/v1/tasks/task-1/status", R"({"statusVersion":2,"newStatus":{"status":"STATUS_EXECUTING"}})");
  CHECK(json::parse(u->body)["version"]["statusVersion"] == 3);
  auto x = s.put("/api/v1/tasks/task-1/cancel", "{}");
  CHECK(json::parse(x->body)["status"]["status"] == "STATUS_CANCEL_REQUESTED");

  // The agent stream: a task for agent-2 is handed over on it.
  SseClient agent(s.port, "/api/v1/agent/stream", R"({"agentSelector":{"entityIds":["agent-2"]}})");
  REQUIRE(agent.wait_status());
  REQUIRE(s.post("/api/v1/tasks", R"({"taskId":"task-2","relations":{"assignee":{"system":{"entityId":"agent-2"}}}})")->status == 201);
  REQUIRE(agent.wait_events(1));
  CHECK(agent.events()[0]["event"] == "agent_request");
  CHECK(agent.events()[0]["executeRequest"]["task"]["version"]["taskId"] == "task-2");

  // The manual-control stream: an operator's frame arrives; a terminal status ends it.
  SseClient manual(s.port, "/api/v1/tasks/task-2/manual-control/stream", "{}");
  REQUIRE(manual.wait_status());
  auto f = s.post("/_harness/tasks/task-2/manual-control/frames", R"({"epochMicros":1,"sequence":1})");
  REQUIRE(f);
  CHECK(f->status == 200);
  REQUIRE(manual.wait_events(1));
  CHECK(manual.events()[0]["event"] == "manual_control_frame");
  CHECK(manual.events()[0]["sequence"] == 1);
  s.set_status("task-2", 2, "STATUS_DONE_OK");
  CHECK(manual.wait_finished());
}

// A long poll is decided by the route, not by the spelling of the path: the listen
// endpoint with a trailing slash (which the router accepts) must be held like any
// other listen, not answered at once while its waiter stays behind to take the next
// task for the agent and hand it to nobody.
TEST_CASE("live: a listen at /api/v1/agent/listen/ (trailing slash) is held and gets the task", "[live][agent]") {
  ServerOptions o;
  o.service.listen_hold_ms = 10'000;
  Live s(o);
  httplib::Client agent("127.0.0.1", s.port);
  agent.set_read_timeout(15, 0);
  int status = 0;
  std::string body;
  std::thread listening([&] {
    auto r = agent.Post("/api/v1/agent/listen/", s.auth(), R"({"agentSelector":{"entityIds":["agent-9"]}})",
                        "application/json");
    if (r) status = r->status, body = r->body;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // held by now (or, wrongly, answered)
  REQUIRE(s.post("/api/v1/tasks", R"({"taskId":"task-9","relations":{"assignee":{"system":{"entityId":"agent-9"}}}})")
              ->status == 201);
  listening.join();
  CHECK(status == 200);
  const json answer = json::parse(body, nullptr, false);
  REQUIRE(answer.is_object());
  CHECK(answer.contains("executeRequest"));
  CHECK(answer.value("executeRequest", json::object()).value("task", json::object()).value("version", json::object()).value(
            "taskId", "") == "task-9");
}

TEST_CASE("live: every client mistake is a 4xx with a JSON body", "[live][errors]") {
  ServerOptions o;
  o.max_body_bytes = 1024;
  Live s(o);
  s.create("task-1");
  check_error(s.client->Get("/api/v1/tasks/task-1"), 401, "UNAUTHENTICATED");
  check_error(s.client->Get("/api/v1/tasks/task-1", s.auth("wrong")), 401, "UNAUTHENTICATED");
  check_error(s.get("/api/v1/tasks/none-such"), 404, "NOT_FOUND");
  check_error(s.get("/api/v1/nowhere"), 404, "NOT_FOUND");
  auto m = s.client->Delete("/api/v1/tasks/task-1", s.auth());
  check_error(m, 405, "METHOD_NOT_ALLOWED");
  CHECK(m->get_header_value("Allow") == "GET");
  check_error(s.post("/api/v1/tasks", R"({"taskId":"task-1"})"), 409, "ALREADY_EXISTS");
  check_error(s.post("/api/v1/tasks", std::string(2000, ' ')), 413, "PAYLOAD_TOO_LARGE");
  check_error(s.post("/api/v1/tasks", std::string(100000, ' ')), 413, "PAYLOAD_TOO_LARGE");  // the library's bound
  check_error(s.post("/api/v1/tasks", "taskId=x", "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE");
  check_error(s.post("/api/v1/tasks", R"({"taskId": )"), 400, "INVALID_ARGUMENT");
  check_error(s.post("/api/v1/tasks", R"({"displayName": 5})"), 400, "INVALID_ARGUMENT");
  check_error(s.post("/api/v1/tasks/stream", R"({"rateLimit": 100})"), 400, "INVALID_ARGUMENT");
  check_error(s.post("/api/v1/tasks/stream", R"({"parentTaskId":"p-task","assignee":{"user":{"userId":"u"}}})"), 400,
              "INVALID_ARGUMENT");
  check_error(s.get("/_harness/clock"), 404, "NOT_FOUND");  // system clock: no test clock
}

TEST_CASE("live: SSE heartbeats in real time, content type and caching", "[live][sse]") {
  Live s;
  SseClient sse(s.port, "/api/v1/tasks/stream", R"({"heartbeatIntervalMs":100})");
  REQUIRE(sse.wait_events(3));
  CHECK(sse.status() == 200);
  CHECK(sse.content_type() == "text/event-stream");
  CHECK(sse.cache_control() == "no-cache");
  for (const auto& e : sse.events()) CHECK(e["event"] == "heartbeat");
}

namespace {
// The machine's time with a wall clock the test steps (see clock_test.cpp).
class SteppedTime final : public TimeSource {
 public:
  int64_t wall_ms() const override { return machine_time().wall_ms() + offset_ms_.load(); }
  int64_t monotonic_ms() const override { return machine_time().monotonic_ms(); }
  void step(int64_t ms) { offset_ms_ += ms; }

 private:
  std::atomic<int64_t> offset_ms_{0};
};
}  // namespace

// Heartbeats fall due on a monotonic clock; only their timestamps come from the wall
// clock. A wall clock stepped back an hour must not stall them, and one stepped forward
// must not release an hour's worth at once.
TEST_CASE("live: heartbeats keep their pace when the wall clock steps", "[live][sse][clock]") {
  SteppedTime time;
  ServerOptions o;
  o.time_source = &time;
  Live s(o);
  SseClient sse(s.port, "/api/v1/tasks/stream", R"({"heartbeatIntervalMs":100})");
  REQUIRE(sse.wait_events(2));
  time.step(-3'600'000);
  const size_t after_back = sse.events().size();
  REQUIRE(sse.wait_events(after_back + 3));  // within the client's deadline, not an hour
  time.step(7'200'000);
  const size_t after_forward = sse.events().size();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const size_t beats = sse.events().size() - after_forward;
  CHECK(beats <= 15);  // about 5; not the 36,000 an hour holds
  CHECK(beats >= 1);
  const auto events = sse.events();
  REQUIRE(events.size() > after_forward);
  // The last heartbeat's timestamp is the stepped wall clock's (an hour ahead).
  const auto stamp = parse_rfc3339(events.back().value("timestamp", ""));
  REQUIRE(stamp);
  CHECK(*stamp > machine_time().wall_ms() + 3'000'000);
}

TEST_CASE("live: preexisting tasks before live ones", "[live][sse]") {
  Live s;
  s.create("task-1");
  s.create("task-2");
  SseClient sse(s.port, "/api/v1/tasks/stream", "{}");
  REQUIRE(sse.wait_events(2));
  s.create("task-3");
  REQUIRE(sse.wait_events(3));
  auto ev = sse.events_of("task_event");
  REQUIRE(ev.size() == 3);
  CHECK(ev[0]["taskEvent"]["eventType"] == "EVENT_TYPE_PREEXISTING");
  CHECK(ev[1]["taskEvent"]["eventType"] == "EVENT_TYPE_PREEXISTING");
  CHECK(ev[2]["taskEvent"]["eventType"] == "EVENT_TYPE_CREATED");
  CHECK(ev[2]["taskEvent"]["task"]["version"]["taskId"] == "task-3");
}

TEST_CASE("live: rate limiting in real time coalesces to the latest state", "[live][sse]") {
  Live s;
  s.create("task-1");
  SseClient sse(s.port, "/api/v1/tasks/stream", R"({"rateLimit":3000,"excludePreexistingTasks":true})");
  REQUIRE(sse.wait_status());
  // Five updates well inside one 3 s window: the first goes out at once, the last
  // state when the window ends, the three between never.
  const char* path[] = {"STATUS_SENT", "STATUS_ACK", "STATUS_WILCO", "STATUS_EXECUTING", "STATUS_DONE_OK"};
  for (int v = 1; v <= 5; ++v) s.set_status("task-1", v, path[v - 1]);
  REQUIRE(sse.wait_events(2, std::chrono::seconds(15)));
  auto ev = sse.events_of("task_event");
  REQUIRE(ev.size() == 2);
  CHECK(ev[0]["taskEvent"]["task"]["version"]["statusVersion"] == 2);
  CHECK(ev[1]["taskEvent"]["task"]["version"]["statusVersion"] == 6);
  CHECK(ev[1]["taskEvent"]["task"]["status"]["status"] == "STATUS_DONE_OK");
}

TEST_CASE("live: every chunking mode parses to the same events", "[live][sse]") {
  for (SseChunking mode : {SseChunking::kNormal, SseChunking::kCoalesce, SseChunking::kSplit}) {
    ServerOptions o;
    o.chunking = mode;
    o.virtual_clock = true;  // ten heartbeats fall due in one advance: one batch
    Live s(o);
    SseClient sse(s.port, "/api/v1/tasks/stream", R"({"heartbeatIntervalMs":100})");
    REQUIRE(sse.wait_status());
    auto adv = s.post("/_harness/clock/advance", R"({"ms":1000})");
    REQUIRE(adv);
    REQUIRE(adv->status == 200);
    CHECK(json::parse(adv->body)["barrier"] == "written");
    REQUIRE(sse.wait_events(10));
    auto beats = sse.events_of("heartbeat");
    REQUIRE(beats.size() == 10);
    CHECK(beats[0]["timestamp"] == "2026-01-01T00:00:00.100Z");
    CHECK(beats[9]["timestamp"] == "2026-01-01T00:00:01Z");
    const auto chunks = sse.chunks();
    if (mode == SseChunking::kCoalesce) CHECK(chunks.size() < 10);   // several events per write
    if (mode == SseChunking::kSplit) CHECK(chunks.size() >= 20);     // each event in pieces
  }
}

TEST_CASE("live: the test clock extension", "[live][clock]") {
  ServerOptions o;
  o.virtual_clock = true;
  Live s(o);
  auto now = s.get("/_harness/clock");
  REQUIRE(now);
  CHECK(json::parse(now->body) == json{{"mode", "virtual"}, {"now", "2026-01-01T00:00:00Z"}, {"nowMs", 1767225600000}});
  check_error(s.post("/_harness/clock/advance", R"({"ms":-1})"), 400, "INVALID_ARGUMENT");
  check_error(s.post("/_harness/clock/advance", R"({"seconds":1})"), 400, "INVALID_ARGUMENT");
  check_error(s.client->Post("/_harness/clock/advance", R"({"ms":1})", "application/json"), 401, "UNAUTHENTICATED");
  auto a = s.post("/_harness/clock/advance", R"({"ms":1500})");
  CHECK(json::parse(a->body)["now"] == "2026-01-01T00:00:01.500Z");
}

TEST_CASE("live: 200 concurrent streams each receive an update", "[live][sse]") {
  Live s;
  std::vector<std::unique_ptr<SseClient>> streams;
  for (int i = 0; i < 200; ++i) {
    streams.push_back(std::make_unique<SseClient>(s.port, "/api/v1/tasks/stream", R"({"excludePreexistingTasks":true})"));
  }
  for (auto& c : streams) REQUIRE(c->wait_status());
  s.create("task-1");
  int received = 0;
  for (auto& c : streams) received += c->wait_events(1) ? 1 : 0;
  CHECK(received == 200);
}

TEST_CASE("live: tasksim serve stops on SIGTERM, ending its streams, and exits 0", "[live][signal]") {
  int out[2];
  REQUIRE(pipe(out) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  const char* argv[] = {TASKSIM_PATH, "serve", "--port", "0", "--token", "tok", nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, TASKSIM_PATH, &fa, nullptr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(spawned == 0);
  close(out[1]);
  std::string line;
  char ch = 0;
  while (read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
  close(out[0]);
  REQUIRE(line.rfind("listening on http://127.0.0.1:", 0) == 0);
  const int port = std::stoi(line.substr(line.rfind(':') + 1));
  SseClient sse(port, "/api/v1/tasks/stream", "{}");
  REQUIRE(sse.wait_status());
  REQUIRE(kill(pid, SIGTERM) == 0);
  CHECK(sse.wait_finished(std::chrono::seconds(10)));
  int status = 0;
  for (int i = 0; i < 1000 && waitpid(pid, &status, WNOHANG) == 0; ++i) usleep(10000);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("live: HTTPS with the test pair in fixtures/", "[live][tls]") {
  ServerOptions o;
  o.tls_cert_path = TH_FIXTURES "/tls/test-cert.pem";
  o.tls_key_path = TH_FIXTURES "/tls/test-key.pem";
  o.tokens = {"tok"};
  ReferenceServer server(o);
  const int port = server.bind();
  REQUIRE(port > 0);
  std::thread t([&] { server.serve(); });
  httplib::SSLClient cli("127.0.0.1", port);
  cli.set_ca_cert_path(TH_FIXTURES "/tls/test-cert.pem");
  cli.enable_server_certificate_verification(true);
  auto r = cli.Post("/api/v1/tasks", {{"Authorization", "Bearer tok"}}, R"({"taskId":"tls-task"})", "application/json");
  REQUIRE(r);
  CHECK(r->status == 201);
  server.stop();
  t.join();
}

TEST_CASE("live: a bad TLS pair is refused with its reason", "[live][tls]") {
  ServerOptions o;
  o.tls_cert_path = "/nonexistent/cert.pem";
  o.tls_key_path = "/nonexistent/key.pem";
  o.tokens = {"tok"};
  ReferenceServer server(o);
  CHECK(server.bind() == 0);
  CHECK_THAT(server.error(), Catch::Contains("/nonexistent/cert.pem"));
}

TEST_CASE("live: a stalled client costs bounded memory and never delays the others", "[live][bound]") {
  ServerOptions o;
  o.service.stream_queue_capacity = 64;
  Live s(o);
  // A client that asks for a stream and never reads it, with a small receive buffer.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(s.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string req =
      "POST /api/v1/tasks/stream HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer tok\r\n"
      "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
  REQUIRE(::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));

  SseClient good(s.port, "/api/v1/tasks/stream", "{}");
  REQUIRE(good.wait_status());
  const std::string description(16 * 1024, 'x');  // 400 events of ~16 KiB: 6.5 MiB
  for (int i = 0; i < 400; ++i) {
    auto r = s.post("/api/v1/tasks", json{{"taskId", "big-" + std::to_string(i)}, {"description", description}}.dump());
    REQUIRE(r);
    REQUIRE(r->status == 201);
  }
  CHECK(good.wait_events(400, std::chrono::seconds(30)));  // the reader is served in full

  // The stalled stream was ended, not buffered: reading it now yields far fewer events.
  std::string got;
  char buf[65536];
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  size_t events = 0;
  for (size_t at = got.find("data: "); at != std::string::npos; at = got.find("data: ", at + 1)) ++events;
  CHECK(n == 0);  // the server closed it
  CHECK(events < 400);
}
