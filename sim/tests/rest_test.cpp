#include <catch2/catch.hpp>

#include "sim/lattice_rest.h"
#include "sim/tests/fixture.h"

using namespace th;
using namespace th::test;

namespace {

struct Rest : Fixture {
  Rest() : dialect(svc, options()) {}
  static DialectOptions options() {
    DialectOptions o;
    o.tokens = {"good-token"};
    o.max_body_bytes = 256;
    return o;
  }
  HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& ct = "application/json", const std::string& auth = "Bearer good-token") {
    HttpRequest r{method, target, ct, auth, body};
    return dialect.handle(r);
  }
  RestDialect dialect;
};

void check_error(const HttpResponse& r, int status, const char* code) {
  CHECK(r.status == status);
  CHECK(r.body.value("code", "") == code);
  CHECK_FALSE(r.body.value("message", "").empty());
}

}  // namespace

TEST_CASE("rest: create, get, and the task's wire form", "[rest]") {
  Rest t;
  t.at(250);
  auto r = t.call("POST", "/api/v1/tasks",
                  R"({"taskId":"task-1","specification":{"@type":"type.googleapis.com/x.A"},)"
                  R"("relations":{"assignee":{"user":{"userId":"u1"}}}})");
  REQUIRE(r.status == 201);
  CHECK(r.body["version"] == json{{"taskId", "task-1"}, {"definitionVersion", 1}, {"statusVersion", 1}});
  CHECK(r.body["status"]["status"] == "STATUS_CREATED");
  CHECK(r.body["createTime"] == "2026-01-01T00:00:00.250Z");
  CHECK(r.body["relations"]["assignee"]["user"]["userId"] == "u1");
  CHECK(r.body["isExecutedElsewhere"] == false);
  auto g = t.call("GET", "/api/v1/tasks/task-1");
  CHECK(g.status == 200);
  CHECK(g.body == r.body);
}

TEST_CASE("rest: every client mistake is a 4xx with {code, message}", "[rest][errors]") {
  Rest t;
  t.create("task-1");
  check_error(t.call("GET", "/api/v1/tasks/task-1", "", "", ""), 401, "UNAUTHENTICATED");
  check_error(t.call("GET", "/api/v1/tasks/task-1", "", "", "Bearer wrong"), 401, "UNAUTHENTICATED");
  check_error(t.call("GET", "/api/v1/tasks/none-such"), 404, "NOT_FOUND");
  check_error(t.call("GET", "/api/v1/nothing/here"), 404, "NOT_FOUND");
  check_error(t.call("GET", "/elsewhere"), 404, "NOT_FOUND");
  auto m = t.call("DELETE", "/api/v1/tasks/task-1");
  check_error(m, 405, "METHOD_NOT_ALLOWED");
  CHECK(m.allow == "GET");
  check_error(t.call("POST", "/api/v1/tasks", R"({"taskId":"task-1"})"), 409, "ALREADY_EXISTS");
  check_error(t.call("POST", "/api/v1/tasks", std::string(300, ' ')), 413, "PAYLOAD_TOO_LARGE");
  check_error(t.call("POST", "/api/v1/tasks", "taskId=x", "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE");
  check_error(t.call("POST", "/api/v1/tasks", R"({"taskId": )"), 400, "INVALID_ARGUMENT");
  check_error(t.call("POST", "/api/v1/tasks", R"({"displayName": 5})"), 400, "INVALID_ARGUMENT");
  check_error(t.call("POST", "/api/v1/tasks", R"({"taskID": "x"})"), 400, "INVALID_ARGUMENT");
  check_error(t.call("POST", "/api/v1/tasks", R"({"taskId":"a","taskId":"b"})"), 400, "INVALID_ARGUMENT");
  check_error(t.call("PUT", "/api/v1/tasks/task-1/status", R"({"statusVersion":1,"newStatus":{"status":"STATUS_RUNNING"}})"),
              400, "INVALID_ARGUMENT");
  check_error(t.call("PUT", "/api/v1/tasks/task-1/status", R"({"newStatus":{"status":"STATUS_SENT"}})"), 400,
              "INVALID_ARGUMENT");
}

TEST_CASE("rest: messages name the field that was wrong", "[rest][errors]") {
  Rest t;
  auto r = t.call("POST", "/api/v1/tasks/stream", R"({"statusFilter":{"statuses":["STATUS_BOGUS"]}})");
  CHECK(r.status == 400);
  CHECK_THAT(r.body["message"].get<std::string>(), Catch::Contains("body.statusFilter.statuses[0]") &&
                                                       Catch::Contains("STATUS_BOGUS"));
  auto u = t.call("POST", "/api/v1/tasks/stream", R"({"rateLimit":100})");
  CHECK(u.status == 400);
  CHECK_THAT(u.body["message"].get<std::string>(), Catch::Contains("rateLimit"));
  auto v = t.call("POST", "/api/v1/tasks/stream", R"({"views":["TASK_VIEW_AGENT"]})");
  CHECK(v.status == 400);  // gRPC only
  CHECK_THAT(v.body["message"].get<std::string>(), Catch::Contains("body.views: unknown field"));
}

TEST_CASE("rest: a stream's SSE data is one JSON line per event", "[rest][sse]") {
  Rest t;
  t.at(1000);
  auto r = t.call("POST", "/api/v1/tasks/stream", R"({"heartbeatIntervalMs":500})");
  REQUIRE(r.status == 200);
  REQUIRE(r.stream);
  t.create("task-1");
  t.at(1500);
  auto box = r.stream->outbox;
  const std::string created = sse_data(*box->pop());
  const std::string beat = sse_data(*box->pop());
  CHECK(created.find('\n') == std::string::npos);
  const json c = json::parse(created);
  CHECK(c["event"] == "task_event");
  CHECK(c["taskEvent"]["eventType"] == "EVENT_TYPE_CREATED");
  CHECK(c["taskEvent"]["task"]["version"]["taskId"] == "task-1");
  CHECK(c["taskEvent"]["time"] == "2026-01-01T00:00:01Z");
  CHECK(json::parse(beat) == json{{"event", "heartbeat"}, {"timestamp", "2026-01-01T00:00:01.500Z"}});
}

TEST_CASE("rest: a long poll answers through the callback", "[rest][agent]") {
  Rest t;
  std::vector<HttpResponse> answers;
  HttpRequest req{"POST", "/api/v1/agent/listen", "application/json", "Bearer good-token",
                  R"({"agentSelector":{"entityIds":["agent-1"]}})"};
  auto r = t.dialect.handle(req, [&](HttpResponse a) { answers.push_back(std::move(a)); });
  CHECK(r.listen_id);
  CHECK(answers.empty());
  t.call("POST", "/api/v1/tasks", R"({"taskId":"task-1","relations":{"assignee":{"system":{"entityId":"agent-1"}}}})");
  REQUIRE(answers.size() == 1);
  CHECK(answers[0].status == 200);
  CHECK(answers[0].body["executeRequest"]["task"]["status"]["status"] == "STATUS_SENT");
  check_error(t.call("POST", "/api/v1/agent/listen", R"({"agentSelector":{"entityIds":[]}})"), 400,
              "INVALID_ARGUMENT");
}
