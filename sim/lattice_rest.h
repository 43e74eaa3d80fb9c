#pragma once
// The lattice-rest dialect: HTTP + JSON + Server-Sent Events under /api/v1, mapped onto
// the model. Both `tasksim run` (requests from scenario steps) and `tasksim serve`
// (requests from sockets) go through RestDialect::handle, so the simulator exercises
// the very code the reference server runs.
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "sim/model.h"
#include "sim/mutant.h"
#include "sim/types.h"

namespace th {

json task_to_json(const Task& t);
json frame_to_json(const ManualControlFrame& f);
json error_body(ErrorKind kind, const std::string& message);
// The JSON text of one SSE event's data line (one line: no newline inside).
std::string sse_data(const StreamMessage& m, Mutant mutant = Mutant::kNone);
// An AgentRequest as /agent/listen answers it; {} for "nothing within the hold".
json agent_request_to_json(const AgentRequest* r);

struct HttpRequest {
  std::string method;
  std::string target;  // path with an optional query string
  std::string content_type;
  std::string authorization;
  std::string body;
};

struct HttpResponse {
  int status = 200;
  json body;                          // error bodies too: {"code","message"}
  std::optional<StreamHandle> stream; // 200 + text/event-stream
  std::optional<uint64_t> listen_id;  // a long poll: the answer comes to the callback
  std::string allow;                  // with 405: the methods the path takes
  int64_t answered_at_ms = -1;        // a long poll: the clock when its answer came
};

struct DialectOptions {
  std::set<std::string> tokens;        // bearer tokens accepted; empty: none is
  size_t max_body_bytes = 1 << 20;     // 1 MiB
  Mutant mutant = Mutant::kNone;
  bool integer_error_codes = false;    // the integer-error-codes variant (variant.h)
  bool ignore_unknown_fields = false;  // the unknown-fields-ignored variant
};

// The integer-error-codes variant: an error body's string code becomes its gRPC
// number (integer_error_code in variant.h); other bodies are left as they are.
void use_integer_code(json& body);

class RestDialect {
 public:
  RestDialect(TaskService& service, DialectOptions options)
      : service_(service), options_(std::move(options)) {}

  // A long poll's answer, later or before handle() returns.
  using ListenCallback = std::function<void(HttpResponse)>;
  HttpResponse handle(const HttpRequest& req, ListenCallback on_listen_answer = {});
  // True when the request carries one of the accepted bearer tokens.
  bool authorized(const HttpRequest& req) const;

 private:
  HttpResponse answer(const HttpRequest& req, ListenCallback& cb);
  HttpResponse route(const HttpRequest& req, const std::string& path, ListenCallback& cb);
  HttpResponse with_body(const HttpRequest& req, const std::function<HttpResponse(const json&)>& fn);

  TaskService& service_;
  DialectOptions options_;
};

}  // namespace th
