#include "store/log_key.h"

#include "platform/local_files.h"
#include "store/ledger.h"

namespace shoko::store {
namespace {

// Where a PostgreSQL store keeps its key when the config names none: the
// packaged state directory.
constexpr std::string_view kStateDir = "/var/lib/shoko-store";

// The public half's file: KEY.pub for KEY.key, else the key's path and .pub.
std::string PublicHalf(const std::string& key_path) {
  constexpr std::string_view kKey = ".key";
  if (key_path.ends_with(kKey)) return key_path.substr(0, key_path.size() - kKey.size()) + ".pub";
  return key_path + ".pub";
}

}  // namespace

std::string LogKeyPath(const StoreConfig& config) {
  if (!config.log_key.empty()) return config.log_key;
  if (IsPostgresUrl(config.db)) return std::string(kStateDir) + "/log.key";
  const size_t slash = config.db.rfind('/');
  return slash == std::string::npos ? "log.key" : config.db.substr(0, slash + 1) + "log.key";
}

std::string DefaultLogOrigin(const evidence::PublicKey& key) {
  return "shoko-store/" + key.KeyId().substr(0, 16);
}

Status CheckLogOrigin(std::string_view origin) {
  if (origin.empty()) return Status::InvalidArgument("log_origin: must not be empty");
  for (char c : origin) {
    if (c <= ' ' || c > '~' || c == '+') {
      return Status::InvalidArgument(
          "log_origin: '" + std::string(origin) +
          "' must be printable ASCII without spaces or '+' (e.g. audit.example.com/shoko)");
    }
  }
  return Status::OK();
}

LogSigner::LogSigner(evidence::SigningKey key, std::string origin)
    : key_(std::move(key)),
      origin_(std::move(origin)),
      verifier_(origin_, evidence::NoteKeyType::kEd25519, key_.public_key()) {}

Result<LogSigner> LogSigner::Load(const StoreConfig& config) {
  const std::string path = LogKeyPath(config);
  if (const size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0) {
    SHOKO_RETURN_IF_ERROR(platform::MakeDirs(path.substr(0, slash), 0700).WithContext("log_key"));
  }
  auto key = evidence::LoadOrCreateKeyPair(path, PublicHalf(path));
  if (!key.ok()) return key.status().WithContext("log_key");
  std::string origin =
      config.log_origin.empty() ? DefaultLogOrigin(key->public_key()) : config.log_origin;
  SHOKO_RETURN_IF_ERROR(CheckLogOrigin(origin));
  return LogSigner(std::move(key).value(), std::move(origin));
}

Result<std::string> LogSigner::Sign(uint64_t tree_size, const std::string& root) const {
  return evidence::SignNote(evidence::CheckpointBody(origin_, tree_size, root), origin_, key_);
}

}  // namespace shoko::store
