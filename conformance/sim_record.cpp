#include "conformance/sim_record.h"

#include <algorithm>
#include <map>

namespace th::conform {
namespace {

using json = nlohmann::json;

// The body as a server would have parsed it: JSON when it is JSON, else the text.
void set_body(RequestRecord& q, const json& line) {
  if (line.contains("body")) {
    q.body = line["body"];
    q.body_is_json = true;
    return;
  }
  if (!line.contains("body_text")) return;
  const std::string text = line["body_text"].get<std::string>();
  q.body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  q.body_is_json = !text.empty() && !q.body.is_discarded();
  if (!q.body_is_json) q.body = text.empty() ? json() : json(text);
}

class Builder {
 public:
  explicit Builder(const Scenario& sc) : sc_(sc) {
    rec_.scenario = sc.name;
    rec_.virtual_time = true;
    rec_.transport = false;
    rec_.end_ms = sc.end_ms;
  }

  void line(json& l) {
    const std::string kind = l.value("kind", "");
    if (kind == "request") {
      request(l);
    } else if (kind == "response") {
      response(l);
    } else if (kind == "sse") {
      if (StreamRecord* s = stream(l)) s->events.push_back({l.at("t_ms").get<int64_t>(), std::move(l.at("data")), true});
    } else if (kind == "stream_closed") {
      if (StreamRecord* s = stream(l)) close(*s, l.at("t_ms").get<int64_t>());
    } else if (kind == "stream_end") {
      if (StreamRecord* s = stream(l)) {
        s->ended_ms = l.at("t_ms").get<int64_t>();
        s->end_reason = l.value("reason", "");
      }
    }
  }

  RunRecord take() { return std::move(rec_); }

 private:
  void request(const json& l) {
    const size_t index = l.at("step").get<size_t>();
    const Step& s = sc_.steps.at(index);
    RequestRecord q;
    q.step = index;
    q.action = s.action;
    q.client = s.client;
    q.auth = auth_of(sc_, s.client);
    q.method = l.at("method").get<std::string>();
    q.path = l.at("path").get<std::string>();
    set_body(q, l);
    q.sent_ms = l.at("t_ms").get<int64_t>();
    if (!s.page_token_from.empty()) {
      for (const Step& prev : sc_.steps) {
        if (prev.id == s.page_token_from) q.continues_step = prev.index;
      }
    }
    pending_[index] = std::move(q);
  }

  // Requests enter the record when answered, as the live runner records them.
  void response(const json& l) {
    auto it = pending_.find(l.at("step").get<size_t>());
    if (it == pending_.end()) return;
    RequestRecord q = std::move(it->second);
    pending_.erase(it);
    q.status = l.at("status").get<int>();
    q.answered_ms = l.at("t_ms").get<int64_t>();
    q.response = l.contains("body") ? l["body"] : json();
    const Step& s = sc_.steps.at(q.step);
    if (q.status == 200 && !stream_kind(s.action).empty()) open_stream(s, q);
    rec_.requests.push_back(std::move(q));
  }

  void open_stream(const Step& s, const RequestRecord& q) {
    StreamRecord sr;
    sr.name = s.stream;
    sr.kind = stream_kind(s.action);
    sr.client = s.client;
    sr.step = s.index;
    sr.request = q.body;
    sr.task_id = s.task_id;
    sr.opened_ms = q.answered_ms;
    sr.status = q.status;
    for (const Step& later : sc_.steps) {
      if (later.action == "stall_stream" && later.stream == s.stream && later.index > s.index) {
        sr.stalled_ms = later.at_ms;
        sr.cut_step = later.index;
        break;
      }
    }
    by_name_[s.stream] = rec_.streams.size();
    rec_.streams.push_back(std::move(sr));
  }

  // The first close_stream step of the stream at that time closed it.
  void close(StreamRecord& s, int64_t t_ms) {
    s.closed_ms = t_ms;
    for (const Step& step : sc_.steps) {
      if (step.action == "close_stream" && step.stream == s.name && step.at_ms == t_ms && step.index > s.step) {
        s.cut_step = std::min(s.cut_step, step.index);
        return;
      }
    }
  }

  StreamRecord* stream(const json& l) {
    auto it = by_name_.find(l.value("stream", ""));
    return it == by_name_.end() ? nullptr : &rec_.streams[it->second];
  }

  const Scenario& sc_;
  RunRecord rec_;
  std::map<size_t, RequestRecord> pending_;
  std::map<std::string, size_t> by_name_;
};

}  // namespace

RunRecord record_from_trace(const Scenario& sc, std::vector<json>&& lines) {
  Builder b(sc);
  for (auto& l : lines) b.line(l);
  return b.take();
}

}  // namespace th::conform
