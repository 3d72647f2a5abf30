// AuditQuery: read access to stored evidence for auditors and monitoring.
#ifndef SHOKO_STORE_AUDIT_SERVICE_H_
#define SHOKO_STORE_AUDIT_SERVICE_H_

#include "controls/mapping.h"
#include "shoko/v1/audit.grpc.pb.h"
#include "store/ledger.h"

namespace shoko::store {

class AuditService final : public v1::AuditQuery::Service {
 public:
  // With `require_identity` (TLS), only auditors and admins may read.
  // `mapping` (null: none) is the store's check → control mapping: a query by
  // control finds records through it, whatever refs they were signed with.
  explicit AuditService(Ledger* ledger, bool require_identity = false,
                        const controls::Mapping* mapping = nullptr)
      : ledger_(ledger), require_identity_(require_identity), mapping_(mapping) {}

  grpc::Status ListEvidence(grpc::ServerContext* context, const v1::ListEvidenceRequest* request,
                            grpc::ServerWriter<v1::StoredEvidence>* writer) override;

 private:
  Ledger* ledger_;
  const bool require_identity_;
  const controls::Mapping* mapping_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_AUDIT_SERVICE_H_
