#pragma once
// RFC 3339 timestamps, as the REST dialect carries them, from and to epoch ms.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace th {

// "2026-01-01T00:00:30Z", or with milliseconds "2026-01-01T00:00:30.250Z" when they
// are not zero.
std::string format_rfc3339(int64_t epoch_ms);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)"; 't'/'z' in lower case too.
// Fractions finer than a millisecond are truncated.
std::optional<int64_t> parse_rfc3339(std::string_view text);

}  // namespace th
