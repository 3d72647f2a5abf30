// `shokoctl controls` and `shokoctl controls coverage`: the catalog with, per
// control, the checks that evidence it, and how much of a framework host
// checks can evidence at all (docs/controls.md, "Catalog", "Mapping"). Read
// from the catalog and mapping files (the built-in ones by default), not from
// a store.
#ifndef SHOKO_CLI_CONTROLS_COMMAND_H_
#define SHOKO_CLI_CONTROLS_COMMAND_H_

#include <memory>
#include <ostream>
#include <string>

#include "cli/command.h"
#include "controls/catalog.h"
#include "controls/mapping.h"
#include "platform/status.h"

namespace shoko::cli {

struct ControlsRequest {
  std::string catalog_file;  // empty: the built-in catalog
  std::string mapping_file;  // empty: the built-in mapping
  std::string framework = "ismap";
  std::string format = "table";  // table | json
  bool coverage = false;
  // Only controls with this importance / addressing this threat (catalog
  // fields the scheme's guideline is to publish); listed most important first.
  std::string importance;
  std::string threat;
};

// Prints the listing or the coverage summary. Returns 0, 1 when the mapping
// names refs the catalog lacks (listed on `err`, the output still printed),
// 2 for usage errors (unreadable files, an unknown framework).
int RunControls(const ControlsRequest& request, std::ostream& out, std::ostream& err);

// `shokoctl controls` and `shokoctl controls coverage`.
void AddControlsCommands(CLI::App& app, Commands& commands);

// The catalog and mapping a command reads: the files named, else the
// built-in ones.
struct ControlData {
  std::shared_ptr<const controls::Catalog> catalog;
  std::shared_ptr<const controls::Mapping> mapping;
};
Result<ControlData> LoadControlData(const std::string& catalog_file,
                                    const std::string& mapping_file);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_CONTROLS_COMMAND_H_
