// The store's log key (docs/ledger.md, "The log key"): the Ed25519 key that
// signs the log's checkpoints, under the log's origin. Auditors pin its
// public half, as a C2SP verifier key, out of band; agents get it at
// enrollment.
#ifndef SHOKO_STORE_LOG_KEY_H_
#define SHOKO_STORE_LOG_KEY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "evidence/keys.h"
#include "evidence/note.h"
#include "platform/status.h"
#include "store/config.h"
#include "store/merkle_log.h"

namespace shoko::store {

// The key file config.log_key names; by default log.key beside a SQLite
// database, or in /var/lib/shoko-store for PostgreSQL.
std::string LogKeyPath(const StoreConfig& config);

// The origin when config.log_origin names none: "shoko-store/" and the first
// 16 hex digits of the key's id, the same on every store that shares the key.
std::string DefaultLogOrigin(const evidence::PublicKey& key);

// Whether `origin` may name a log: printable ASCII without spaces or '+' (a
// C2SP key name). InvalidArgument saying why not.
Status CheckLogOrigin(std::string_view origin);

// What signs the log's checkpoints: the log key, under the log's origin (the
// origin is also the key's name in its signature lines).
class LogSigner {
 public:
  LogSigner(evidence::SigningKey key, std::string origin);
  // The key at LogKeyPath, created (0600, its public half beside it as .pub)
  // when neither exists, under config.log_origin or the default.
  static Result<LogSigner> Load(const StoreConfig& config);

  const std::string& origin() const { return origin_; }
  const evidence::NoteVerifier& verifier() const { return verifier_; }
  // What the store pins in its database.
  LogIdentity identity() const { return {origin_, verifier_.ToString()}; }
  // The signed checkpoint note of the tree of `tree_size` leaves with `root`.
  Result<std::string> Sign(uint64_t tree_size, const std::string& root) const;

 private:
  evidence::SigningKey key_;
  std::string origin_;
  evidence::NoteVerifier verifier_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_LOG_KEY_H_
