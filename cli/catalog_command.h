// `shokoctl catalog import`: the official tables (CSV) into catalog YAML, or
// an old → new correspondence table applied to a mapping (docs/controls.md,
// "Catalog import").
#ifndef SHOKO_CLI_CATALOG_COMMAND_H_
#define SHOKO_CLI_CATALOG_COMMAND_H_

#include <ostream>
#include <string>

#include "cli/command.h"

namespace shoko::cli {

struct CatalogImportRequest {
  std::string format;  // ismap-csv | crosswalk-csv
  std::string file;
  std::string encoding = "auto";
  std::string out;  // empty: standard output
  // ismap-csv
  std::string framework = "ismap";
  std::string title = "ISMAP control standard (imported)";
  std::string status;
  std::string source;
  bool provisional = false;
  // The catalog the imported framework replaces its namesake in ("" for the
  // built-in one); with `standalone`, only the imported framework is written.
  std::string base_file;
  bool standalone = false;
  // crosswalk-csv
  std::string mapping_file;  // empty: the built-in mapping
  std::string from = "ismap-legacy";
  std::string to = "ismap";
};

// Writes the YAML to `out` (or the request's file), which is parsed back as a
// catalog or mapping before it is written. Returns 0, 1 when the table has
// problems ("FILE:LINE: what" on `err`), else ExitCodeFor the failure (2 for
// usage errors, 4 when what was made does not load).
int RunCatalogImport(const CatalogImportRequest& request, std::ostream& out, std::ostream& err);

// `shokoctl catalog import`.
void AddCatalogCommands(CLI::App& app, Commands& commands);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_CATALOG_COMMAND_H_
