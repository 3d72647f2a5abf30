// The agent's configuration file (YAML), e.g. packaging/agent.yaml.
#ifndef SHOKO_AGENT_CONFIG_H_
#define SHOKO_AGENT_CONFIG_H_

#include <chrono>
#include <string>
#include <vector>

#include "platform/status.h"

namespace shoko::agent {

struct AgentConfig {
  // Where the agent keeps its key pair and outbox (never under `root`).
  std::string state_dir = "/var/lib/shoko";
  // The host tree collectors read; "/" on a live host.
  std::string root = "/";
  // The store, HOST:PORT; empty when the config has no `store` section (enough
  // for `collect`, not for `run`). Until TLS lands, plaintext and loopback only.
  std::string store_address;
  // TLS to the store: the deployment CA, and this agent's certificate and key
  // (default: STATE_DIR/tls.crt and tls.key, which `enroll` writes).
  std::string store_ca, store_cert, store_key;
  bool store_insecure_loopback = false;  // plaintext, loopback only
  std::chrono::seconds connect_timeout{10};
  // Time allowed for one upload of the backlog, acks included.
  std::chrono::seconds upload_timeout{60};
  // After a failed upload, retry after a random delay of up to retry_initial,
  // doubling each time up to retry_max ("full jitter"), so that a fleet coming
  // back does not arrive all at once.
  std::chrono::seconds retry_initial{1};
  std::chrono::seconds retry_max{300};
  // At most this many records a second when draining a backlog (0: no limit).
  uint64_t drain_rate = 0;
  // The store's log key to pin (a file holding its C2SP verifier key line);
  // empty: the key `enroll` saved, if any (docs/agent-state.md, "The witness").
  std::string store_log_key;
  // How long an acknowledged record may wait for its inclusion in the store's
  // log before the agent records an incident.
  std::chrono::seconds inclusion_timeout{600};
  // How often the daemon collects.
  std::chrono::seconds interval{3600};
  // The longest the daemon goes without an agent.heartbeat record.
  std::chrono::seconds heartbeat{900};
  // The longest a check may go without a fresh record (refresh_seconds).
  std::chrono::seconds refresh{86400};
  // Collector names or families to run; empty means all.
  std::vector<std::string> collectors;
  // Operator copies of the mapping and baseline; empty means the built-in ones.
  std::string mapping_file;
  std::string baseline_file;
  // An operator's control catalog (docs/controls.md, "Catalog"); empty means
  // the built-in one.
  std::string catalog_file;
  // Declarative checks (*.yaml), read from here whatever `root` says.
  std::string checks_dir = "/etc/shoko/checks.d";
  std::string label_service, label_group, label_environment;
  // Cores a large sweep may sign on (0: all). Signing is most of a record's cost.
  size_t signing_threads = 0;
  // Outbox quotas: when full, observations stop (nothing held is dropped).
  uint64_t outbox_max_records = 1'000'000;
  uint64_t outbox_max_bytes = uint64_t{1} << 30;

  std::string source;  // the file this came from, for messages
};

// Loads and validates `path`. Unknown keys, wrong types and bad values are
// InvalidArgument naming the file and line; a missing file is NotFound.
Result<AgentConfig> LoadAgentConfig(const std::string& path);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_CONFIG_H_
