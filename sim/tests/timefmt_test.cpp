#include <catch2/catch.hpp>

#include "scenarios/format/timefmt.h"

using th::format_rfc3339;
using th::parse_rfc3339;

TEST_CASE("RFC 3339 formatting", "[time]") {
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(format_rfc3339(1'767'225'600'000) == "2026-01-01T00:00:00Z");
  CHECK(format_rfc3339(1'767'225'630'250) == "2026-01-01T00:00:30.250Z");
  CHECK(format_rfc3339(951'782'400'000) == "2000-02-29T00:00:00Z");  // leap day
  CHECK(format_rfc3339(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("RFC 3339 parsing", "[time]") {
  CHECK(parse_rfc3339("2026-01-01T00:00:00Z") == 1'767'225'600'000);
  CHECK(parse_rfc3339("2026-01-01T00:00:01.5Z") == 1'767'225'601'500);
  CHECK(parse_rfc3339("2026-01-01T00:00:01.123456789Z") == 1'767'225'601'123);
  CHECK(parse_rfc3339("2026-01-01T02:00:00+02:00") == 1'767'225'600'000);
  CHECK(parse_rfc3339("2025-12-31t19:00:00-05:00") == 1'767'225'600'000);
  CHECK_FALSE(parse_rfc3339("yesterday"));
  CHECK_FALSE(parse_rfc3339("2026-01-01"));
  CHECK_FALSE(parse_rfc3339("2026-01-01T00:00:00"));  // no offset
  CHECK_FALSE(parse_rfc3339("2026-13-01T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2026-02-29T00:00:00Z"));  // 2026 is no leap year
  CHECK_FALSE(parse_rfc3339("2026-01-01T00:00:00Zjunk"));
}
