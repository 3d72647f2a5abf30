#include "cli/catalog_command.h"

#include <yaml-cpp/yaml.h>

#include <fstream>

#include "controls/builtin_data.h"
#include "controls/catalog.h"
#include "controls/catalog_import.h"
#include "controls/mapping.h"
#include "platform/local_files.h"

namespace shoko::cli {

int RunCatalogImport(const CatalogImportRequest& request, std::ostream& out, std::ostream& err) {
  auto fail = [&](int code, const std::string& message) {
    err << "shokoctl: " << message << std::endl;
    return code;
  };
  auto bytes = platform::ReadLocalFile(request.file, 64 << 20);
  if (!bytes.ok()) return fail(2, bytes.status().message());
  auto text = controls::ToUtf8(*bytes, request.encoding, request.file);
  if (!text.ok()) {
    return fail(text.status().code() == Status::Code::kInternal ? 4 : 1, text.status().message());
  }
  auto rows = controls::ParseCsv(*text, request.file);
  if (!rows.ok()) return fail(1, rows.status().message());
  std::string yaml;
  if (request.format == "ismap-csv") {
    controls::IsmapImportOptions options;
    options.framework = request.framework;
    options.title = request.title;
    options.status = request.status;
    options.source = request.source;
    options.provisional = request.provisional;
    if (options.status.empty() || options.source.empty()) {
      return fail(2,
                  "--status and --source are required for ismap-csv (what the table is and "
                  "where it comes from)");
    }
    auto imported = controls::ImportIsmapCsv(*rows, request.file, options);
    if (!imported.ok()) return fail(1, imported.status().message());
    if (!request.standalone) {
      // The other frameworks stay: the import replaces its framework in the base.
      std::string base_text(controls::kBuiltinCatalogYaml);
      if (!request.base_file.empty()) {
        auto b = platform::ReadLocalFile(request.base_file, 16 << 20);
        if (!b.ok()) return fail(2, b.status().message());
        base_text = std::move(b).value();
      }
      try {
        YAML::Node base = YAML::Load(base_text);
        YAML::Node mine = YAML::Load(*imported);
        base["frameworks"][request.framework] = mine["frameworks"][request.framework];
        base["version"] =
            base["version"].as<std::string>("") + "+" + request.framework + "-" + request.status;
        YAML::Emitter e;
        e << base;
        imported = std::string(e.c_str()) + "\n";
      } catch (const YAML::Exception& e) {
        return fail(2, (request.base_file.empty() ? std::string("the built-in catalog")
                                                  : request.base_file) +
                           ": " + e.what());
      }
    }
    // What is written must load: parse it back.
    if (auto check = controls::Catalog::Parse(*imported, "imported catalog"); !check.ok()) {
      return fail(4, "the imported catalog does not load: " + check.status().message());
    }
    yaml = std::move(imported).value();
  } else if (request.format == "crosswalk-csv") {
    auto mapping_data = controls::Mapping::LoadOrBuiltIn(request.mapping_file);
    if (!mapping_data.ok()) return fail(2, mapping_data.status().message());
    const controls::Mapping& mapping = **mapping_data;
    std::vector<std::string> unmatched;
    auto remapped = controls::ApplyCrosswalkCsv(*rows, request.file, mapping, request.from,
                                                request.to, &unmatched);
    if (!remapped.ok()) return fail(1, remapped.status().message());
    if (auto check = controls::Mapping::Parse(*remapped, "re-mapped mapping"); !check.ok()) {
      return fail(4, "the re-mapped mapping does not load: " + check.status().message());
    }
    for (const std::string& u : unmatched) {
      err << "shokoctl: note: " << u << " has no row in " << request.file << "; kept as it is"
          << std::endl;
    }
    yaml = std::move(remapped).value();
  } else {
    return fail(2, "--format: expected ismap-csv or crosswalk-csv");
  }
  if (request.out.empty()) {
    out << yaml;
    return out ? 0 : 4;
  }
  std::ofstream file(request.out, std::ios::binary | std::ios::trunc);
  file << yaml;
  file.close();
  if (!file) return fail(2, request.out + ": cannot write");
  err << "shokoctl: wrote " << request.out << std::endl;
  return 0;
}

}  // namespace shoko::cli
