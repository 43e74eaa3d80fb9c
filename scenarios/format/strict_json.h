#pragma once
// Strict JSON for input people write (scenario files) and clients send (request
// bodies): duplicate keys and unknown fields are errors, and every error names the
// JSON path where it was found.
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace th {

using json = nlohmann::json;

class JsonError : public std::runtime_error {
 public:
  JsonError(std::string path, const std::string& message)
      : std::runtime_error(path + ": " + message), path_(std::move(path)) {}
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Parses text; syntax errors (with the byte offset) and duplicate keys (with their
// path) throw JsonError. root names the document in paths, e.g. "$" or "body".
json parse_strict(std::string_view text, const std::string& root = "$");

// Reads one JSON object field by field. Absent and null fields read as absent.
// finish() throws for any field nobody asked for.
class ObjectReader {
 public:
  ObjectReader(const json& j, std::string path);

  const std::string& path() const { return path_; }
  std::string field_path(std::string_view key) const;
  bool has(std::string_view key);
  const json* raw(std::string_view key);  // nullptr when absent or null

  std::optional<std::string> opt_string(std::string_view key);
  std::string string_or(std::string_view key, const std::string& fallback);
  std::string required_string(std::string_view key);
  // Integers may come as JSON numbers or, as proto3 JSON writes 64-bit ones, strings.
  std::optional<int64_t> opt_int(std::string_view key);
  int64_t required_int(std::string_view key);
  std::optional<bool> opt_bool(std::string_view key);
  std::optional<ObjectReader> opt_object(std::string_view key);
  ObjectReader required_object(std::string_view key);
  const json* opt_array(std::string_view key);
  std::optional<std::vector<std::string>> opt_string_array(std::string_view key);
  // Any JSON value but null, kept as it is (opaque payloads).
  json opt_any(std::string_view key);

  void finish() const;

 private:
  const json& j_;
  std::string path_;
  std::set<std::string, std::less<>> consumed_;
};

int64_t read_int(const json& v, const std::string& path);

}  // namespace th
