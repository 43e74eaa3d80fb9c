#include "scenarios/format/strict_json.h"

#include <charconv>

namespace th {
namespace {

struct Frame {
  bool is_array = false;
  size_t index = 0;
  std::string key;
  std::set<std::string> keys;
};

std::string build_path(const std::string& root, const std::vector<Frame>& frames) {
  std::string p = root;
  for (const Frame& f : frames) {
    if (f.is_array) {
      p += "[" + std::to_string(f.index) + "]";
    } else if (!f.key.empty()) {
      p += "." + f.key;
    }
  }
  return p;
}

void element_done(std::vector<Frame>& frames) {
  if (!frames.empty() && frames.back().is_array) ++frames.back().index;
}

}  // namespace

json parse_strict(std::string_view text, const std::string& root) {
  std::vector<Frame> frames;
  auto cb = [&](int /*depth*/, json::parse_event_t ev, json& parsed) -> bool {
    switch (ev) {
      case json::parse_event_t::object_start:
        frames.push_back(Frame{});
        break;
      case json::parse_event_t::array_start:
        frames.push_back(Frame{true, 0, {}, {}});
        break;
      case json::parse_event_t::key: {
        Frame& f = frames.back();
        const std::string key = parsed.get<std::string>();
        f.key.clear();
        if (!f.keys.insert(key).second) {
          throw JsonError(build_path(root, frames) + "." + key, "duplicate key \"" + key + "\"");
        }
        f.key = key;
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames.pop_back();
        element_done(frames);
        break;
      case json::parse_event_t::value:
        element_done(frames);
        break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), cb);
  } catch (const json::parse_error& e) {
    // e.what() carries nlohmann's own prefix; the byte is what a person needs.
    std::string what = e.what();
    const auto colon = what.rfind(": ");
    throw JsonError(root, "not valid JSON at byte " + std::to_string(e.byte) + ": " +
                              (colon == std::string::npos ? what : what.substr(colon + 2)));
  } catch (const json::out_of_range& e) {
    // A number too large for a double ("1e999") is the sender's mistake too.
    std::string what = e.what();
    const auto close = what.find("] ");
    throw JsonError(root, "not valid JSON: " + (close == std::string::npos ? what : what.substr(close + 2)));
  }
}

ObjectReader::ObjectReader(const json& j, std::string path) : j_(j), path_(std::move(path)) {
  if (!j_.is_object()) throw JsonError(path_, "must be a JSON object, not " + std::string(j_.type_name()));
}

std::string ObjectReader::field_path(std::string_view key) const { return path_ + "." + std::string(key); }

bool ObjectReader::has(std::string_view key) {
  return raw(key) != nullptr;
}

const json* ObjectReader::raw(std::string_view key) {
  consumed_.emplace(key);
  auto it = j_.find(std::string(key));
  if (it == j_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> ObjectReader::opt_string(std::string_view key) {
  const json* v = raw(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw JsonError(field_path(key), "must be a string, not " + std::string(v->type_name()));
  return v->get<std::string>();
}

std::string ObjectReader::string_or(std::string_view key, const std::string& fallback) {
  return opt_string(key).value_or(fallback);
}

std::string ObjectReader::required_string(std::string_view key) {
  auto v = opt_string(key);
  if (!v) throw JsonError(field_path(key), "is required");
  return *v;
}

int64_t read_int(const json& v, const std::string& path) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      throw JsonError(path, "is too large");
    }
    return v.get<int64_t>();
  }
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    int64_t out = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) return out;
    throw JsonError(path, "must be an integer, not the string \"" + s + "\"");
  }
  if (v.is_number_float()) throw JsonError(path, "must be an integer, not a fraction");
  throw JsonError(path, "must be an integer, not " + std::string(v.type_name()));
}

std::optional<int64_t> ObjectReader::opt_int(std::string_view key) {
  const json* v = raw(key);
  if (!v) return std::nullopt;
  return read_int(*v, field_path(key));
}

int64_t ObjectReader::required_int(std::string_view key) {
  auto v = opt_int(key);
  if (!v) throw JsonError(field_path(key), "is required");
  return *v;
}

std::optional<bool> ObjectReader::opt_bool(std::string_view key) {
  const json* v = raw(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) throw JsonError(field_path(key), "must be true or false, not " + std::string(v->type_name()));
  return v->get<bool>();
}

std::optional<ObjectReader> ObjectReader::opt_object(std::string_view key) {
  const json* v = raw(key);
  if (!v) return std::nullopt;
  return ObjectReader(*v, field_path(key));
}

ObjectReader ObjectReader::required_object(std::string_view key) {
  auto v = opt_object(key);
  if (!v) throw JsonError(field_path(key), "is required");
  return *v;
}

const json* ObjectReader::opt_array(std::string_view key) {
  const json* v = raw(key);
  if (v && !v->is_array()) throw JsonError(field_path(key), "must be an array, not " + std::string(v->type_name()));
  return v;
}

std::optional<std::vector<std::string>> ObjectReader::opt_string_array(std::string_view key) {
  const json* v = opt_array(key);
  if (!v) return std::nullopt;
  std::vector<std::string> out;
  for (size_t i = 0; i < v->size(); ++i) {
    const json& e = (*v)[i];
    if (!e.is_string()) {
      throw JsonError(field_path(key) + "[" + std::to_string(i) + "]", "must be a string");
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

json ObjectReader::opt_any(std::string_view key) {
  const json* v = raw(key);
  return v ? *v : json();
}

void ObjectReader::finish() const {
  for (auto it = j_.begin(); it != j_.end(); ++it) {
    if (!consumed_.count(it.key())) throw JsonError(field_path(it.key()), "unknown field");
  }
}

}  // namespace th
