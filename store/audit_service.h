// AuditQuery: read access to stored evidence for auditors and monitoring.
#ifndef SHOKO_STORE_AUDIT_SERVICE_H_
#define SHOKO_STORE_AUDIT_SERVICE_H_

#include "shoko/v1/audit.grpc.pb.h"
#include "store/ledger.h"

namespace shoko::store {

class AuditService final : public v1::AuditQuery::Service {
 public:
  explicit AuditService(Ledger* ledger) : ledger_(ledger) {}

  grpc::Status ListEvidence(grpc::ServerContext* context, const v1::ListEvidenceRequest* request,
                            grpc::ServerWriter<v1::StoredEvidence>* writer) override;

 private:
  Ledger* ledger_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_AUDIT_SERVICE_H_
