#include "reports/matrix.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

namespace th::reports {
namespace {

using json = nlohmann::json;

std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    }
  }
  return out;
}

// Each column's verdict per rule ID; "" where the column has no such rule.
std::map<std::string, const conform::RuleVerdict*> by_id(const conform::SuiteResult& s) {
  std::map<std::string, const conform::RuleVerdict*> out;
  for (const auto& r : s.rules) out[r.rule->id] = &r;
  return out;
}

std::string matrix_json(const std::string& title, const std::vector<MatrixColumn>& columns) {
  json j = {{"title", title}, {"columns", json::array()}, {"rules", json::array()}};
  std::vector<std::map<std::string, const conform::RuleVerdict*>> cells;
  for (const auto& c : columns) {
    j["columns"].push_back({{"name", c.name}, {"kind", c.kind}, {"report", c.link}, {"asExpected", c.as_expected},
                            {"outcome", c.outcome}});
    cells.push_back(by_id(c.suite));
  }
  for (const auto& rule : conform::rule_catalog()) {
    json row = {{"id", rule.id}, {"level", conform::to_name(rule.level)}, {"basis", conform::to_name(rule.basis)},
                {"cells", json::object()}};
    for (size_t i = 0; i < columns.size(); ++i) {
      auto it = cells[i].find(rule.id);
      row["cells"][columns[i].name] = it == cells[i].end() ? "" : conform::to_name(it->second->verdict);
    }
    j["rules"].push_back(row);
  }
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

const char* kStyle = R"(
body{font:13px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330}
h1{font-size:20px;margin:0 0 6px} .meta{color:#5b6472;margin-bottom:14px}
table{border-collapse:collapse} th,td{border:1px solid #e3e5e8;padding:3px 6px;text-align:center}
th.col{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:600;padding:6px 3px}
td.rule{text-align:left;white-space:nowrap} td.rule code{font-size:12px}
.PASS{background:#dff3e6;color:#17663a}.FAIL{background:#fbe0e0;color:#a11c1c;font-weight:600}
.INCONCLUSIVE{background:#fff1d6;color:#8a5a00}.NOT-RUN,.SKIP{background:#f4f5f7;color:#8a8f98}
.ERROR{background:#f2d6f5;color:#7b1f86} .bad{outline:2px solid #a11c1c} .kind{font-size:11px;color:#5b6472}
)";

std::string cell_class(const std::string& v) {
  std::string c = v;
  for (char& ch : c) ch = ch == ' ' ? '-' : ch;
  return c;
}

std::string short_name(const std::string& v) {
  if (v == "PASS") return "pass";
  if (v == "FAIL") return "FAIL";
  if (v == "INCONCLUSIVE") return "inc";
  if (v == "NOT RUN") return "n/r";
  return v;
}

std::string matrix_html(const std::string& title, const std::vector<MatrixColumn>& columns) {
  std::ostringstream h;
  size_t expected = 0;
  for (const auto& c : columns) expected += c.as_expected;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << esc(title) << "</title><style>"
    << kStyle << "</style></head><body>\n<h1>" << esc(title) << "</h1>\n<div class=\"meta\">" << columns.size()
    << " servers, " << expected << " as expected &middot; rules down, servers across; a column's name links to its "
    << "report; a red outline marks a server that did not do what it should (a mutant not killed, a variant or "
       "server failing)</div>\n<table id=\"matrix\"><tr><th>rule</th><th>level</th><th>basis</th>";
  for (const auto& c : columns) {
    h << "<th class=\"col" << (c.as_expected ? "" : " bad") << "\" data-server=\"" << esc(c.name) << "\" title=\""
      << esc(c.outcome) << "\"><a href=\"" << esc(c.link) << "\">" << esc(c.name) << "</a> <span class=\"kind\">"
      << esc(c.kind) << "</span></th>";
  }
  h << "</tr>\n";
  std::vector<std::map<std::string, const conform::RuleVerdict*>> cells;
  for (const auto& c : columns) cells.push_back(by_id(c.suite));
  for (const auto& rule : conform::rule_catalog()) {
    h << "<tr class=\"rule\" data-rule=\"" << esc(rule.id) << "\"><td class=\"rule\"><code>" << esc(rule.id)
      << "</code></td><td>" << conform::to_name(rule.level) << "</td><td>" << conform::to_name(rule.basis) << "</td>";
    for (size_t i = 0; i < columns.size(); ++i) {
      auto it = cells[i].find(rule.id);
      const std::string v = it == cells[i].end() ? "" : conform::to_name(it->second->verdict);
      const std::string tip = it == cells[i].end() ? "" : it->second->summary;
      h << "<td class=\"cell " << cell_class(v) << "\" title=\"" << esc(columns[i].name + ": " + tip) << "\">"
        << short_name(v) << "</td>";
    }
    h << "</tr>\n";
  }
  h << "</table>\n</body></html>\n";
  return h.str();
}

bool write_text(const std::filesystem::path& p, const std::string& text, std::string& error) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) {
    error = "cannot write " + p.string();
    return false;
  }
  return true;
}

}  // namespace

bool write_matrix(const std::string& dir, const std::string& title, const std::vector<MatrixColumn>& columns,
                  std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    error = "cannot create the report directory " + dir + ": " + ec.message();
    return false;
  }
  const std::filesystem::path d(dir);
  return write_text(d / "matrix.json", matrix_json(title, columns), error) &&
         write_text(d / "matrix.html", matrix_html(title, columns), error);
}

}  // namespace th::reports
