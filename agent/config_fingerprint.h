// What the agent's configuration is, as evidence (docs/evidence-format.md,
// "Lifecycle records"): every file that decides what the agent records, each
// with its SHA-256, and one digest over them all. The start record names
// them; a change between two runs is an agent.lifecycle.config_change record
// naming the files added, removed or changed.
#ifndef SHOKO_AGENT_CONFIG_FINGERPRINT_H_
#define SHOKO_AGENT_CONFIG_FINGERPRINT_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/config.h"
#include "agent/sweep.h"

namespace shoko::agent {

struct FingerprintedFile {
  std::string path;
  std::string sha256;  // hex; "unreadable" when the file could not be read
};

struct ConfigFingerprint {
  // Hex SHA-256 over every file (path and content) and the versions of the
  // built-in data and the collectors selected.
  std::string digest;
  std::vector<FingerprintedFile> files;
};

// The files of `config` that decide verdicts: the config itself, the
// operator's mapping and baseline, and when the declarative checks run, the
// catalog and every file of checks_dir. Built-in data counts by its version.
ConfigFingerprint FingerprintConfig(const AgentConfig& config, const SweepSetup& setup);

// [{path, sha256}], in the fingerprint's order.
nlohmann::json FilesToJson(const std::vector<FingerprintedFile>& files);
// The list FilesToJson wrote; nullopt for text that is not one (an outbox
// from before the files were kept).
std::optional<std::vector<FingerprintedFile>> FilesFromJson(const std::string& text);

// The facts of a config_change record from `previous_digest` to `current`:
// both digests, and the files added, removed and changed (with both digests)
// since `previous`; when the previous files are not known, the current ones.
nlohmann::json ConfigChangeFacts(const std::string& previous_digest,
                                 const std::optional<std::vector<FingerprintedFile>>& previous,
                                 const ConfigFingerprint& current);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_CONFIG_FINGERPRINT_H_
