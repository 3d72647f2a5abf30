#include "cli/catalog_command.h"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <fstream>

#include "controls/builtin_data.h"
#include "controls/catalog.h"
#include "controls/catalog_import.h"
#include "controls/mapping.h"
#include "platform/exit_code.h"
#include "platform/local_files.h"

namespace shoko::cli {
namespace {

// What is wrong with the table is a finding (exit 1), not a failure of the
// command.
Status TableProblem(const Status& s) { return Status::Corruption(s.message()); }

// The imported framework put in place of its namesake in the base catalog.
Result<std::string> MergeIntoBase(const CatalogImportRequest& request,
                                  const std::string& imported) {
  std::string base_text(controls::kBuiltinCatalogYaml);
  if (!request.base_file.empty()) {
    SHOKO_ASSIGN_OR_RETURN(base_text, platform::ReadLocalFile(request.base_file, 16 << 20));
  }
  try {
    YAML::Node base = YAML::Load(base_text);
    YAML::Node mine = YAML::Load(imported);
    base["frameworks"][request.framework] = mine["frameworks"][request.framework];
    base["version"] =
        base["version"].as<std::string>("") + "+" + request.framework + "-" + request.status;
    YAML::Emitter e;
    e << base;
    return std::string(e.c_str()) + "\n";
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(
        (request.base_file.empty() ? std::string("the built-in catalog") : request.base_file) +
        ": " + e.what());
  }
}

Result<std::string> ImportIsmap(const CatalogImportRequest& request,
                                const std::vector<controls::CsvRow>& rows) {
  controls::IsmapImportOptions options;
  options.framework = request.framework;
  options.title = request.title;
  options.status = request.status;
  options.source = request.source;
  options.provisional = request.provisional;
  if (options.status.empty() || options.source.empty()) {
    return Status::InvalidArgument(
        "--status and --source are required for ismap-csv (what the table is and where it "
        "comes from)");
  }
  auto imported = controls::ImportIsmapCsv(rows, request.file, options);
  if (!imported.ok()) return TableProblem(imported.status());
  // The other frameworks stay: the import replaces its framework in the base.
  if (!request.standalone) {
    SHOKO_ASSIGN_OR_RETURN(imported, MergeIntoBase(request, *imported));
  }
  // What is written must load: parse it back.
  if (auto check = controls::Catalog::Parse(*imported, "imported catalog"); !check.ok()) {
    return Status::Internal("the imported catalog does not load: " + check.status().message());
  }
  return imported;
}

Result<std::string> ApplyCrosswalk(const CatalogImportRequest& request,
                                   const std::vector<controls::CsvRow>& rows, std::ostream& err) {
  SHOKO_ASSIGN_OR_RETURN(auto mapping, controls::Mapping::LoadOrBuiltIn(request.mapping_file));
  std::vector<std::string> unmatched;
  auto remapped = controls::ApplyCrosswalkCsv(rows, request.file, *mapping, request.from,
                                              request.to, &unmatched);
  if (!remapped.ok()) return TableProblem(remapped.status());
  if (auto check = controls::Mapping::Parse(*remapped, "re-mapped mapping"); !check.ok()) {
    return Status::Internal("the re-mapped mapping does not load: " + check.status().message());
  }
  for (const std::string& u : unmatched) {
    err << "shokoctl: note: " << u << " has no row in " << request.file << "; kept as it is"
        << std::endl;
  }
  return remapped;
}

Result<std::string> ImportTable(const CatalogImportRequest& request, std::ostream& err) {
  SHOKO_ASSIGN_OR_RETURN(std::string bytes, platform::ReadLocalFile(request.file, 64 << 20));
  auto text = controls::ToUtf8(bytes, request.encoding, request.file);
  if (!text.ok()) {
    return text.status().code() == Status::Code::kInternal ? text.status()
                                                           : TableProblem(text.status());
  }
  auto rows = controls::ParseCsv(*text, request.file);
  if (!rows.ok()) return TableProblem(rows.status());
  if (request.format == "ismap-csv") return ImportIsmap(request, *rows);
  if (request.format == "crosswalk-csv") return ApplyCrosswalk(request, *rows, err);
  return Status::InvalidArgument("--format: expected ismap-csv or crosswalk-csv");
}

}  // namespace

int RunCatalogImport(const CatalogImportRequest& request, std::ostream& out, std::ostream& err) {
  auto yaml = ImportTable(request, err);
  if (!yaml.ok()) return Fail(yaml.status(), err);
  if (request.out.empty()) {
    out << *yaml;
    return out ? kExitOk : kExitInternal;
  }
  std::ofstream file(request.out, std::ios::binary | std::ios::trunc);
  file << *yaml;
  file.close();
  if (!file) return Fail(Status::InvalidArgument(request.out + ": cannot write"), err);
  err << "shokoctl: wrote " << request.out << std::endl;
  return kExitOk;
}

void AddCatalogCommands(CLI::App& app, Commands& commands) {
  auto request = std::make_shared<CatalogImportRequest>();
  CLI::App* catalog = app.add_subcommand("catalog", "Import control tables.");
  catalog->require_subcommand(1);
  CLI::App* import = catalog->add_subcommand(
      "import",
      "ismap-csv: the ISMAP control table (番号, 統制目標, 番号, 詳細管理策, (参考)定型管理策, "
      "(参考)手引き) to catalog YAML; crosswalk-csv: an old-id → new-id table applied to a "
      "mapping.");
  import->add_option("--format", request->format, "ismap-csv or crosswalk-csv.")
      ->required()
      ->check(CLI::IsMember({"ismap-csv", "crosswalk-csv"}))
      ->type_name("FORMAT");
  import->add_option("file", request->file, "The CSV file.")->required()->type_name("FILE");
  import
      ->add_option("--encoding", request->encoding,
                   "auto (UTF-8, else Shift_JIS), utf-8 or shift_jis.")
      ->check(CLI::IsMember({"auto", "utf-8", "shift_jis"}));
  import->add_option("--out", request->out, "Write here instead of stdout.")->type_name("FILE");
  import->add_option("--framework", request->framework,
                     "ismap-csv: the framework name (default ismap).");
  import->add_option("--title", request->title, "ismap-csv: its title.");
  import->add_option("--status", request->status,
                     "ismap-csv: the table's status, e.g. final-2026-04.");
  import->add_option("--source", request->source, "ismap-csv: where the table comes from.");
  import->add_flag("--provisional", request->provisional,
                   "ismap-csv: the table is not (yet) official.");
  import
      ->add_option("--base", request->base_file,
                   "ismap-csv: the catalog whose framework the import replaces (default: the "
                   "built-in one).")
      ->type_name("FILE");
  import->add_flag("--standalone", request->standalone,
                   "ismap-csv: write only the imported framework.");
  import
      ->add_option("--mapping", request->mapping_file,
                   "crosswalk-csv: the mapping to re-map (default: the built-in one).")
      ->type_name("FILE");
  import->add_option("--from", request->from,
                     "crosswalk-csv: the old framework (default ismap-legacy).");
  import->add_option("--to", request->to, "crosswalk-csv: the new framework (default ismap).");
  commands.On(import, [request](std::ostream& out, std::ostream& err) {
    return RunCatalogImport(*request, out, err);
  });
}

}  // namespace shoko::cli
