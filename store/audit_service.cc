#include "store/audit_service.h"

#include "controls/control_ref.h"

namespace shoko::store {

grpc::Status AuditService::ListEvidence(grpc::ServerContext* context,
                                        const v1::ListEvidenceRequest* request,
                                        grpc::ServerWriter<v1::StoredEvidence>* writer) {
  if (!request->control_ref().empty() && !controls::IsValidControlRef(request->control_ref())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "'" + request->control_ref() +
                            "' is not a control ref (framework:id, e.g. ismap:8.2)");
  }
  for (char c : request->agent_id()) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "agent id must be lowercase hex (a full id or a prefix)");
    }
  }
  EvidenceFilter filter{request->control_ref(), request->agent_id(), request->limit()};
  bool client_gone = false;
  std::string corrupt;
  Status s = ledger_->List(filter, [&](const LedgerRecord& r) {
    v1::StoredEvidence out;
    if (!out.mutable_envelope()->ParseFromString(r.envelope)) {
      corrupt = "stored envelope of agent " + r.agent_id + " seq " + std::to_string(r.seq) +
                " does not parse";
      return false;
    }
    out.set_record_digest(r.record_digest);
    out.set_received_at_us(r.received_at_us);
    out.set_public_key(r.public_key);
    if (context->IsCancelled() || !writer->Write(out)) {
      client_gone = true;
      return false;
    }
    return true;
  });
  if (!s.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "store error: " + s.message());
  if (!corrupt.empty()) return grpc::Status(grpc::StatusCode::DATA_LOSS, corrupt);
  if (client_gone) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
  return grpc::Status::OK;
}

}  // namespace shoko::store
