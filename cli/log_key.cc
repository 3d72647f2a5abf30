#include "cli/log_key.h"

#include <CLI/CLI.hpp>

#include "cli/store_client.h"
#include "platform/local_files.h"
#include "platform/strings.h"

namespace shoko::cli {
namespace {

// A verifier key is one short line; anything much longer is not one.
constexpr size_t kMaxVerifierKeyFile = 4096;

Result<evidence::NoteVerifier> ReadLogKey(const std::string& path) {
  SHOKO_ASSIGN_OR_RETURN(std::string text, platform::ReadLocalFile(path, kMaxVerifierKeyFile));
  auto key = evidence::NoteVerifier::Parse(platform::Trim(text));
  if (!key.ok()) return key.status().WithContext(path);
  if (key->type() != evidence::NoteKeyType::kEd25519) {
    return Status::InvalidArgument(path + ": " + key->name() +
                                   " is a witness's cosigning key, not a log key");
  }
  return key;
}

}  // namespace

void AddLogKeyOption(CLI::App* command, std::string* file) {
  command
      ->add_option("--log-key", *file,
                   "The store's log key, pinned: a file holding its verifier key line (default: "
                   "log_key in ~/.config/shoko/shokoctl.yaml).")
      ->type_name("FILE");
}

Result<std::optional<evidence::NoteVerifier>> PinnedLogKey(const std::string& flag_file) {
  if (!flag_file.empty()) {
    auto key = ReadLogKey(flag_file);
    if (!key.ok()) return key.status().WithContext("--log-key");
    return std::optional(std::move(key).value());
  }
  SHOKO_ASSIGN_OR_RETURN(ShokoctlConfig config, LoadShokoctlConfig());
  if (config.log_key.value.empty()) return std::optional<evidence::NoteVerifier>();
  auto key = ReadLogKey(config.log_key.value);
  if (!key.ok()) return key.status().WithContext(config.log_key.where + ": log_key");
  return std::optional(std::move(key).value());
}

Result<evidence::NoteVerifier> RequiredLogKey(const std::string& flag_file,
                                              std::string_view command) {
  SHOKO_ASSIGN_OR_RETURN(auto key, PinnedLogKey(flag_file));
  if (!key) {
    return Status::InvalidArgument(std::string(command) +
                                   " needs the store's log key: --log-key FILE, or log_key in " +
                                   ShokoctlConfigPath());
  }
  return std::move(*key);
}

std::string NoLogKeyPinned() {
  return "no log key pinned (--log-key FILE, or log_key in " + ShokoctlConfigPath() + ")";
}

}  // namespace shoko::cli
