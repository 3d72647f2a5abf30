// The store's configuration file (YAML), e.g. packaging/store.yaml.
#ifndef SHOKO_STORE_CONFIG_H_
#define SHOKO_STORE_CONFIG_H_

#include <chrono>
#include <string>
#include <vector>

#include "platform/status.h"

namespace shoko::store {

struct StoreConfig {
  std::string listen = "127.0.0.1:7443";  // HOST:PORT; port 0 picks a free one
  std::string db = "/var/lib/shoko-store/store.db";
  // Plaintext gRPC, allowed only on a loopback address, for development.
  bool insecure_loopback = false;
  // TLS: the store's certificate and key, and the deployment CA that client
  // certificates must come from. All three, or insecure_loopback.
  std::string tls_cert, tls_key, tls_ca;
  // The CA's key, which lets the store enroll agents and renew their
  // certificates (valid agent_cert_days). Without it, enrollment is off.
  std::string tls_ca_key;
  // The store's control catalog and check → control mapping (docs/controls.md,
  // "Catalog" and "Mapping"); empty: the built-in ones. Reports map through
  // these, not through the refs records were signed with.
  std::string catalog, mapping;
  // Statements of applicability (docs/controls.md, "Statement of
  // applicability"), one per cloud service: reports apply each to the hosts
  // whose service label is its service name.
  std::vector<std::string> soa;
  // How long past its refresh_seconds a PASS still counts as current. An
  // agent records a check again at its first sweep after refresh_seconds,
  // so this must exceed the agents' sweep interval (agent config `interval`).
  std::chrono::seconds stale_grace{7200};
  int agent_cert_days = 90;
  // Concurrent uploads beyond this get RESOURCE_EXHAUSTED (retry later).
  int max_upload_streams = 1024;
  // The log key that signs checkpoints (docs/ledger.md, "The log key"),
  // created on first start; empty: log.key beside a SQLite database, or in
  // /var/lib/shoko-store for PostgreSQL. Every store of one database needs
  // the same key and origin.
  std::string log_key;
  // The log's name in its checkpoints; empty: derived from the key.
  std::string log_origin;
  // Whether this store may sequence the log (docs/ledger.md, "The
  // sequencer"); an extra ingest node may leave it to the others.
  bool sequencer = true;
  // A checkpoint at least this long after the last, or after this many new
  // leaves, whichever comes first.
  std::chrono::seconds checkpoint_interval{10};
  uint64_t checkpoint_leaves = 1000;
};

// Loads `path` over the defaults. Unknown keys and bad values are
// InvalidArgument naming the file and line; a missing file is NotFound.
Result<StoreConfig> LoadStoreConfig(const std::string& path);

// Checks the combination: the listen address parses; TLS files are complete,
// or plaintext is asked for explicitly and only on loopback, never both.
Status ValidateStoreConfig(const StoreConfig& config);

}  // namespace shoko::store

#endif  // SHOKO_STORE_CONFIG_H_
