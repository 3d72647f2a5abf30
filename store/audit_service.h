// AuditQuery: read access to stored evidence for auditors and monitoring.
#ifndef SHOKO_STORE_AUDIT_SERVICE_H_
#define SHOKO_STORE_AUDIT_SERVICE_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "controls/mapping.h"
#include "shoko/v1/audit.grpc.pb.h"
#include "store/authorization.h"
#include "store/compliance.h"
#include "store/ledger.h"
#include "store/merkle_log.h"

namespace shoko::store {

class AuditService final : public v1::AuditQuery::Service {
 public:
  // With `require_identity` (TLS), only auditors and admins may read.
  // `reports` holds the store's catalog, check → control mapping and
  // statements of applicability: a query by control finds records through
  // the mapping, whatever refs they were signed with, and the compliance
  // matrix applies all three. Its now_us is set from `now` per call.
  // `log` gives each listed record its leaf and inclusion proof when asked.
  AuditService(Ledger* ledger, MerkleLog* log, bool require_identity, ComplianceContext reports,
               std::function<int64_t()> now)
      : ledger_(ledger),
        log_(log),
        authorization_(require_identity),
        reports_(reports),
        now_(std::move(now)) {}

  grpc::Status ListEvidence(grpc::ServerContext* context, const v1::ListEvidenceRequest* request,
                            grpc::ServerWriter<v1::StoredEvidence>* writer) override;
  grpc::Status Compliance(grpc::ServerContext* context, const v1::ComplianceRequest* request,
                          v1::ComplianceReport* report) override;
  grpc::Status ListIncidents(grpc::ServerContext* context, const v1::ListIncidentsRequest* request,
                             grpc::ServerWriter<v1::StoreIncident>* writer) override;

 private:
  // The ledger's filter for `request`: its control found through the store's
  // mapping. InvalidArgument for a malformed control ref or agent id.
  Result<EvidenceFilter> FilterFor(const v1::ListEvidenceRequest& request) const;
  // The latest evidence of each host whose agent_id starts with
  // `agent_prefix`, by agent_id.
  Result<std::map<std::string, HostEvidence>> LatestByHost(grpc::ServerContext* context,
                                                           const std::string& agent_prefix);
  // `by_agent` with each host's agent state, without retired hosts; those of
  // `service` (any when empty) are counted in `retired`.
  Result<std::vector<HostEvidence>> WithoutRetired(std::map<std::string, HostEvidence> by_agent,
                                                   const std::string& service, int* retired);
  // Sets `out`'s leaf and inclusion proof in the tree of `tree_size`, when
  // that tree holds the record.
  Status AddProof(const LedgerRecord& r, uint64_t tree_size, v1::StoredEvidence* out);

  Ledger* ledger_;
  MerkleLog* log_;
  const Authorization authorization_;
  const ComplianceContext reports_;
  const std::function<int64_t()> now_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_AUDIT_SERVICE_H_
