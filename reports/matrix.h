#pragma once
// The matrix: rules down, servers across, one cell per verdict, each column linking
// to that server's own report (the page Autobahn|Testsuite users know). Written by
// taskconform mutants, variants and matrix as matrix.html and matrix.json.
#include <string>
#include <vector>

#include "conformance/suite.h"

namespace th::reports {

struct MatrixColumn {
  std::string name;      // "correct", a mutant's or a variant's name, or the user's NAME
  std::string kind;      // "reference", "mutant", "variant", "target"
  std::string link;      // the column's report, relative to the matrix (NAME/index.html)
  bool as_expected = true;  // mutants: killed; variants and the rest: passed
  std::string outcome;   // one line: "killed at MUST by ...", "passes", "fails STREAM-HB-002"
  conform::SuiteResult suite;
};

// False (with the reason) when a file cannot be written.
bool write_matrix(const std::string& dir, const std::string& title, const std::vector<MatrixColumn>& columns,
                  std::string& error);

}  // namespace th::reports
