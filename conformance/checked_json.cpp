#include "conformance/checked_json.h"

#include <cstdio>

#include "conformance/sse.h"

namespace th::conform {
namespace {

// The length of the valid UTF-8 sequence at s[i], or 0 when it is not one.
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  return valid_utf8(s.substr(i, n)) ? n : 0;
}

void hex_byte(std::string& out, unsigned char c) {
  char buf[5];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  out += buf;
}

// Collects the first shape problem, with its path.
struct Checker {
  std::optional<std::string> problem;

  void fail(const std::string& path, const std::string& expected, const json* v) {
    if (!problem) problem = path + ": expected " + expected + ", saw " + (v ? seen(*v) : std::string("nothing"));
  }
  // The member when present; a problem when it is present and not of the type.
  const json* member(const json& o, const char* key, const std::string& path, json::value_t type, const char* expected,
                     bool required = false) {
    auto it = o.find(key);
    const std::string p = path + "." + key;
    if (it == o.end()) {
      if (required) fail(p, expected, nullptr);
      return nullptr;
    }
    const bool integer = type == json::value_t::number_integer && it->is_number_integer();
    if (it->type() != type && !integer) {
      fail(p, expected, &*it);
      return nullptr;
    }
    return &*it;
  }
  const json* object(const json& o, const char* key, const std::string& path, bool required = false) {
    return member(o, key, path, json::value_t::object, "an object", required);
  }
  void string(const json& o, const char* key, const std::string& path, bool required = false) {
    member(o, key, path, json::value_t::string, "a string", required);
  }
  void boolean(const json& o, const char* key, const std::string& path) {
    member(o, key, path, json::value_t::boolean, "true or false");
  }
  void integer(const json& o, const char* key, const std::string& path) {
    member(o, key, path, json::value_t::number_integer, "an integer");
  }
  // proto3's JSON mapping writes 64-bit integers as strings of digits: both are fine.
  void int64(const json& o, const char* key, const std::string& path) {
    auto it = o.find(key);
    if (it == o.end() || it->is_number_integer()) return;
    if (it->is_string()) {
      const std::string& s = it->get_ref<const std::string&>();
      size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
      bool digits = s.size() > i && s.size() <= 20;
      for (; digits && i < s.size(); ++i) digits = s[i] >= '0' && s[i] <= '9';
      if (digits) return;
    }
    fail(path + "." + key, "an integer", &*it);
  }

  void task(const json& t, const std::string& path) {
    if (!t.is_object()) return fail(path, "a task (an object)", &t);
    if (const json* v = object(t, "version", path, true)) {
      string(*v, "taskId", path + ".version", true);
      integer(*v, "statusVersion", path + ".version");
    }
    if (const json* s = object(t, "status", path)) {
      string(*s, "status", path + ".status");
      if (const json* e = object(*s, "taskError", path + ".status")) {
        auto code = e->find("code");
        if (code != e->end() && !code->is_string() && !code->is_number_integer()) {
          fail(path + ".status.taskError.code", "a string or an integer", &*code);
        }
        string(*e, "message", path + ".status.taskError");
      }
      string(*s, "startTime", path + ".status");
    }
    if (const json* r = object(t, "relations", path)) {
      string(*r, "parentTaskId", path + ".relations");
      object(*r, "assignee", path + ".relations");
    }
    if (const json* sp = object(t, "specification", path)) string(*sp, "@type", path + ".specification");
    for (const char* k : {"displayName", "description", "createTime", "lastUpdateTime"}) string(t, k, path);
    boolean(t, "isExecutedElsewhere", path);
    object(t, "author", path);
  }

  void agent_request(const json& d, const std::string& path) {
    if (const json* x = object(d, "executeRequest", path)) {
      if (const json* t = object(*x, "task", path + ".executeRequest")) task(*t, path + ".executeRequest.task");
    }
    for (const char* k : {"cancelRequest", "completeRequest"}) {
      if (const json* c = object(d, k, path)) string(*c, "taskId", path + "." + k);
    }
  }
};

}  // namespace

std::string shown(std::string_view bytes, size_t max_bytes) {
  std::string out;
  const size_t n = std::min(bytes.size(), max_bytes);
  out.reserve(n + 16);
  size_t i = 0;
  while (i < n) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\n') {
      out += "\\n", ++i;
    } else if (c == '\r') {
      out += "\\r", ++i;
    } else if (c == '\t') {
      out += "\\t", ++i;
    } else if (c < 0x20 || c == 0x7f) {
      hex_byte(out, c), ++i;
    } else if (const size_t len = utf8_sequence(bytes, i); len > 0 && i + len <= n) {
      out.append(bytes.substr(i, len));
      i += len;
    } else {
      hex_byte(out, c), ++i;  // not UTF-8, or a character cut by the bound
    }
  }
  if (bytes.size() > i) out += "... (" + std::to_string(bytes.size() - i) + " more bytes)";
  return out;
}

json text_value(std::string_view bytes, size_t max_bytes) { return json(shown(bytes, max_bytes)); }

size_t json_depth(std::string_view text, size_t stop_above) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > stop_above) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

JsonText read_json(std::string_view text, size_t depth_max, const char* depth_option) {
  JsonText out;
  if (json_depth(text, depth_max) > depth_max) {
    out.error = "JSON nested deeper than " + std::to_string(depth_max) + " levels (" + depth_option + ")";
    out.too_deep = true;
    return out;
  }
  try {
    out.value = json::parse(text);
  } catch (const json::parse_error& e) {
    out.error = "not JSON (at byte " + std::to_string(e.byte) + ": " + shown(text.substr(e.byte > 20 ? e.byte - 20 : 0, 40), 40) +
                ")";
  } catch (const json::exception& e) {
    out.error = std::string("not JSON a reader can hold (") + shown(e.what(), 120) + ")";
  }
  return out;
}

std::string seen(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array of " + std::to_string(v.size());
    case json::value_t::string: return "the string \"" + shown(v.get_ref<const std::string&>(), 60) + "\"";
    case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case json::value_t::binary: return "binary data";
    case json::value_t::discarded: return "nothing";
    default: return "the number " + v.dump();
  }
}

const json* find(const json& j, std::initializer_list<const char*> keys) {
  const json* cur = &j;
  for (const char* k : keys) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::optional<std::string> string_at(const json& j, std::initializer_list<const char*> keys) {
  const json* v = find(j, keys);
  if (!v || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

std::optional<int64_t> int_at(const json& j, std::initializer_list<const char*> keys) {
  const json* v = find(j, keys);
  if (!v || !v->is_number_integer()) return std::nullopt;
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return v->get<int64_t>();
}

std::optional<std::string> task_problem(const json& task, const std::string& path) {
  Checker c;
  c.task(task, path);
  return c.problem;
}

std::optional<std::string> event_problem(const json& data) {
  if (!data.is_object()) return std::nullopt;  // SSE-002's business
  Checker c;
  auto kind = data.find("event");
  if (kind == data.end()) return std::nullopt;  // SSE-002's business too
  if (!kind->is_string()) {
    c.fail("$.event", "a string", &*kind);
    return c.problem;
  }
  const std::string& k = kind->get_ref<const std::string&>();
  if (k == "task_event") {
    if (const json* te = c.object(data, "taskEvent", "$", true)) {
      c.string(*te, "eventType", "$.taskEvent");
      c.string(*te, "time", "$.taskEvent");
      auto t = te->find("task");
      if (t == te->end()) {
        c.fail("$.taskEvent.task", "a task (an object)", nullptr);
      } else {
        c.task(*t, "$.taskEvent.task");
      }
    }
  } else if (k == "heartbeat") {
    c.string(data, "timestamp", "$");
  } else if (k == "agent_request") {
    c.agent_request(data, "$");
  } else if (k == "manual_control_frame") {
    c.string(data, "taskId", "$");
    c.int64(data, "sequence", "$");
    c.int64(data, "epochMicros", "$");
  }
  return c.problem;
}

std::optional<std::string> body_problem(const std::string& action, const json& body) {
  Checker c;
  if (action == "create_task" || action == "get_task" || action == "update_status" || action == "cancel_task") {
    c.task(body, "$");
  } else if (action == "query_tasks") {
    if (!body.is_object()) {
      c.fail("$", "an object", &body);
    } else {
      if (const json* tasks = c.member(body, "tasks", "$", json::value_t::array, "an array of tasks")) {
        for (size_t i = 0; i < tasks->size() && !c.problem; ++i) c.task((*tasks)[i], "$.tasks[" + std::to_string(i) + "]");
      }
      c.string(body, "nextPageToken", "$");
    }
  } else if (action == "agent_listen") {
    if (!body.is_object()) {
      c.fail("$", "an object", &body);
    } else {
      c.agent_request(body, "$");
    }
  } else if (action == "manual_control_frame") {
    if (!body.is_object()) c.fail("$", "an object", &body);
  }
  return c.problem;
}

void make_valid_utf8(json& j) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (!valid_utf8(s)) j = shown(s, s.size());
  } else if (j.is_array()) {
    for (auto& e : j) make_valid_utf8(e);
  } else if (j.is_object()) {
    bool bad_key = false;
    for (auto it = j.begin(); it != j.end(); ++it) {
      bad_key = bad_key || !valid_utf8(it.key());
      make_valid_utf8(it.value());
    }
    if (bad_key) {
      json fixed = json::object();
      for (auto it = j.begin(); it != j.end(); ++it) fixed[shown(it.key(), it.key().size())] = std::move(it.value());
      j = std::move(fixed);
    }
  }
}

}  // namespace th::conform
