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

namespace shoko::store {

class AuditService final : public v1::AuditQuery::Service {
 public:
  // With `require_identity` (TLS), only auditors and admins may read.
  // `reports` holds the store's catalog, check → control mapping and
  // statements of applicability: a query by control finds records through
  // the mapping, whatever refs they were signed with, and the compliance
  // matrix applies all three. Its now_us is set from `now` per call.
  AuditService(Ledger* ledger, bool require_identity, ComplianceContext reports,
               std::function<int64_t()> now)
      : ledger_(ledger),
        authorization_(require_identity),
        reports_(reports),
        now_(std::move(now)) {}

  grpc::Status ListEvidence(grpc::ServerContext* context, const v1::ListEvidenceRequest* request,
                            grpc::ServerWriter<v1::StoredEvidence>* writer) override;
  grpc::Status Compliance(grpc::ServerContext* context, const v1::ComplianceRequest* request,
                          v1::ComplianceReport* report) override;

 private:
  // The ledger's filter for `request`: its control found through the store's
  // mapping. InvalidArgument for a malformed control ref or agent id.
  Result<EvidenceFilter> FilterFor(const v1::ListEvidenceRequest& request) const;
  // The latest evidence of each host whose agent_id starts with
  // `agent_prefix`, by agent_id.
  Result<std::map<std::string, HostEvidence>> LatestByHost(grpc::ServerContext* context,
                                                           const std::string& agent_prefix);
  // `by_agent` without retired hosts; those of `service` (any when empty)
  // are counted in `retired`.
  Result<std::vector<HostEvidence>> WithoutRetired(std::map<std::string, HostEvidence> by_agent,
                                                   const std::string& service, int* retired);

  Ledger* ledger_;
  const Authorization authorization_;
  const ComplianceContext reports_;
  const std::function<int64_t()> now_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_AUDIT_SERVICE_H_
