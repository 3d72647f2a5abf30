// The compliance matrix (docs/controls.md, "Compliance roll-up"): per control
// of one framework, each host's status rolled up from its latest verdicts
// through the store's mapping and catalog, then the host's statement of
// applicability and exceptions applied. A pure function of its inputs, so that
// tests state every rule.
#ifndef SHOKO_STORE_COMPLIANCE_H_
#define SHOKO_STORE_COMPLIANCE_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "controls/catalog.h"
#include "controls/mapping.h"
#include "controls/soa.h"
#include "platform/status.h"
#include "shoko/v1/audit.pb.h"
#include "shoko/v1/evidence.pb.h"
#include "store/ledger.h"

namespace shoko::store {

// An agent's signed heartbeat, a LIFECYCLE record it writes at least every
// heartbeat interval, changed or not; its fact `heartbeat_seconds` is that
// interval. A host that has sent none yet is held to the agent's default.
inline constexpr std::string_view kHeartbeatCheckId = "agent.heartbeat";
inline constexpr uint64_t kDefaultHeartbeatSeconds = 900;

// The latest record of one check on one host.
struct LatestVerdict {
  uint64_t seq = 0;
  v1::Verdict verdict = v1::VERDICT_UNSPECIFIED;
  int64_t collected_at_us = 0;               // no later than its arrival at the store
  uint64_t refresh_seconds = 0;              // 0: never stale
  std::vector<std::string> signed_controls;  // refs as the agent's mapping saw them
};

// One host's latest evidence: the labels and host of its last record in its
// chain, and the last record of each check (observations only). Latest means
// highest seq: the chain orders a host's records, its clock may not.
struct HostEvidence {
  std::string agent_id;
  std::string hostname;
  std::map<std::string, std::string> labels;  // service, group, environment (set ones)
  uint64_t last_seq = 0;
  int64_t last_collected_at_us = 0;
  std::map<std::string, LatestVerdict> checks;  // by check_id
  // From its newest heartbeat record (0: none yet).
  uint64_t heartbeat_seconds = 0;
  uint64_t heartbeat_seq = 0;
  // The agent's state ("active", "revoked", "retired"): one that is not
  // active never passes.
  std::string state = std::string(kAgentActive);

  // Folds in one stored record, received at `received_at_us`; a record
  // before the held one of its check changes nothing.
  void Add(const v1::Evidence& evidence, int64_t received_at_us);
};

// What the matrix is built from besides the hosts.
struct ComplianceContext {
  const controls::Catalog* catalog = nullptr;
  const controls::Mapping* mapping = nullptr;
  // One statement per service (its service.name matches hosts' service label).
  const std::vector<controls::Soa>* statements = nullptr;
  int64_t now_us = 0;
  // How long past its refresh_seconds a PASS stays current: the store
  // config's stale_grace. A host is silent, and none of its cells passes,
  // once its newest record is older than twice its heartbeat interval plus
  // this.
  std::chrono::seconds stale_grace{0};
};

// The matrix for `request` over `hosts`. InvalidArgument for an unknown
// framework or sort order.
Result<v1::ComplianceReport> BuildCompliance(const v1::ComplianceRequest& request,
                                             const ComplianceContext& context,
                                             const std::vector<HostEvidence>& hosts);

}  // namespace shoko::store

#endif  // SHOKO_STORE_COMPLIANCE_H_
