#pragma once
// The reference server on a loopback port for one test, with a client for plain
// requests (shared by server_test.cpp and server_variant_test.cpp).
#include <catch2/catch.hpp>
#include <httplib.h>

#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "sim/server.h"

namespace th::test {

struct Live {
  explicit Live(ServerOptions o = {}) {
    o.tokens = {"tok"};
    if (o.service.stream_count_max == ServiceOptions{}.stream_count_max) o.service.stream_count_max = 256;
    o.service.listen_count_max = 32;
    server = std::make_unique<ReferenceServer>(o);
    port = server->bind();
    REQUIRE(port > 0);
    thread = std::thread([this] { server->serve(); });
    client = std::make_unique<httplib::Client>("127.0.0.1", port);
    client->set_read_timeout(15, 0);
  }
  ~Live() {
    server->stop();
    thread.join();
  }
  httplib::Headers auth(const std::string& token = "tok") { return {{"Authorization", "Bearer " + token}}; }
  httplib::Result post(const std::string& path, const std::string& body, const std::string& ct = "application/json") {
    return client->Post(path.c_str(), auth(), body, ct.c_str());
  }
  httplib::Result put(const std::string& path, const std::string& body) {
    return client->Put(path.c_str(), auth(), body, "application/json");
  }
  httplib::Result get(const std::string& path) { return client->Get(path.c_str(), auth()); }
  void create(const std::string& id) {
    REQUIRE(post("/api/v1/tasks", nlohmann::json{{"taskId", id}}.dump())->status == 201);
  }
  void set_status(const std::string& id, int version, const std::string& status) {
    auto r = put("/api/v1/tasks/" + id + "/status",
                 nlohmann::json{{"statusVersion", version}, {"newStatus", {{"status", status}}}}.dump());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }

  std::unique_ptr<ReferenceServer> server;
  int port = 0;
  std::thread thread;
  std::unique_ptr<httplib::Client> client;
};

inline void check_error(const httplib::Result& r, int status, const std::string& code) {
  REQUIRE(r);
  CHECK(r->status == status);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  CHECK_FALSE(r->has_header("EXCEPTION_WHAT"));
  const nlohmann::json body = nlohmann::json::parse(r->body);
  CHECK(body.value("code", "") == code);
  CHECK_FALSE(body.value("message", "").empty());
}

}  // namespace th::test
