#include "agent/config_fingerprint.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "platform/digest.h"
#include "platform/local_files.h"

namespace shoko::agent {
namespace {

constexpr char kUnreadable[] = "unreadable";

// The operator's files in `dir` (not hidden ones, which editors and tools
// leave), in name order.
std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    std::error_code type_ec;
    if (name.starts_with(".") || !entry.is_regular_file(type_ec)) continue;
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> paths;
  for (const std::string& name : names) paths.push_back(dir + "/" + name);
  return paths;
}

}  // namespace

ConfigFingerprint FingerprintConfig(const AgentConfig& config, const SweepSetup& setup) {
  std::vector<std::string> paths = {config.source, config.mapping_file, config.baseline_file};
  if (setup.runs_custom_checks) {
    paths.push_back(config.catalog_file);
    for (std::string& path : FilesIn(config.checks_dir)) paths.push_back(std::move(path));
  }
  ConfigFingerprint fingerprint;
  std::string material;
  for (const std::string& path : paths) {
    if (path.empty()) continue;  // built-in data, counted by its version below
    auto text = platform::ReadLocalFile(path);
    material += path + "\n" + (text.ok() ? *text : "(unreadable)") + "\n";
    fingerprint.files.push_back({path, text.ok() ? platform::Sha256Hex(*text) : kUnreadable});
  }
  material += "mapping " + setup.mapping().version() + "\nbaseline " + setup.baseline().id() + " " +
              setup.baseline().version() +
              (setup.runs_custom_checks ? "\ncatalog " + setup.catalog_version : "") +
              "\ncollectors";
  for (const std::string& c : setup.collectors) material += " " + c;
  fingerprint.digest = platform::Sha256Hex(material);
  return fingerprint;
}

nlohmann::json FilesToJson(const std::vector<FingerprintedFile>& files) {
  nlohmann::json out = nlohmann::json::array();
  for (const FingerprintedFile& f : files) out.push_back({{"path", f.path}, {"sha256", f.sha256}});
  return out;
}

std::optional<std::vector<FingerprintedFile>> FilesFromJson(const std::string& text) {
  std::vector<FingerprintedFile> files;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return std::nullopt;
  for (const nlohmann::json& f : j) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string()) continue;
    files.push_back({f["path"].get<std::string>(), f.value("sha256", "")});
  }
  return files;
}

nlohmann::json ConfigChangeFacts(const std::string& previous_digest,
                                 const std::optional<std::vector<FingerprintedFile>>& previous,
                                 const ConfigFingerprint& current) {
  if (!previous) {
    return {{"previous_config_digest", previous_digest},
            {"config_digest", current.digest},
            {"files", FilesToJson(current.files)}};
  }
  std::map<std::string, std::string> before, after;
  for (const FingerprintedFile& f : *previous) before[f.path] = f.sha256;
  for (const FingerprintedFile& f : current.files) after[f.path] = f.sha256;
  nlohmann::json added = nlohmann::json::array(), removed = nlohmann::json::array(),
                 changed = nlohmann::json::array();
  for (const auto& [path, sha256] : after) {
    auto it = before.find(path);
    if (it == before.end()) {
      added.push_back({{"path", path}, {"sha256", sha256}});
    } else if (it->second != sha256) {
      changed.push_back({{"path", path}, {"previous_sha256", it->second}, {"sha256", sha256}});
    }
  }
  for (const auto& [path, sha256] : before) {
    if (!after.contains(path)) removed.push_back({{"path", path}, {"sha256", sha256}});
  }
  return {{"previous_config_digest", previous_digest},
          {"config_digest", current.digest},
          {"files_added", added},
          {"files_removed", removed},
          {"files_changed", changed}};
}

}  // namespace shoko::agent
