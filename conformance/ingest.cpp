#include "conformance/ingest.h"

#include "conformance/checked_json.h"
#include "conformance/limits.h"
#include "conformance/record.h"

namespace th::conform {

Ingested ingest_text(const std::string& text) {
  Ingested in;
  if (text.empty()) return in;
  JsonText r = read_json(text, limits().json_depth_max);
  if (r.value) {
    in.value = std::move(*r.value);
    in.is_json = true;
  } else {
    in.value = text_value(text);
    in.why_not = r.error;
    if (r.too_deep) in.problem = r.error;
  }
  return in;
}

Ingested ingest_body(const std::string& action, int status, const std::string& text) {
  Ingested in = ingest_text(text);
  const bool read_by_runner = action != "http" && stream_kind(action).empty();
  if (!in.problem && status >= 200 && status < 300 && !text.empty() && read_by_runner) {
    in.problem = in.is_json ? body_problem(action, in.value) : std::optional<std::string>(in.why_not + "; body: " + shown(text));
  }
  return in;
}

Ingested ingest_event(const std::string& data) {
  Ingested in = ingest_text(data);
  if (!in.problem && in.is_json) in.problem = event_problem(in.value);
  return in;
}

}  // namespace th::conform
