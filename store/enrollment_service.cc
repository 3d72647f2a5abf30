#include "store/enrollment_service.h"

#include "evidence/envelope.h"
#include "evidence/keys.h"
#include "platform/digest.h"
#include "platform/grpc_status.h"
#include "store/store_log.h"

namespace shoko::store {
namespace {

constexpr char kNoCa[] = "enrollment is not configured on this store (tls_ca_key)";

}  // namespace

grpc::Status EnrollmentService::Issue(const std::string& agent_id, const std::string& csr_pem,
                                      v1::EnrollResponse* response) {
  auto spec = platform::IdentitySpec(std::string(kAgentRole), agent_id, {}, cert_days_);
  if (!spec.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, spec.status().message());
  auto cert = ca_->IssueForRequest(csr_pem, *spec);
  if (!cert.ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, cert.status().message());
  auto info = platform::InspectCertificate(*cert);
  response->set_agent_id(agent_id);
  response->set_certificate_pem(*cert);
  response->set_not_after_us(info.ok() ? info->not_after_us : 0);
  response->set_log_verifier_key(log_verifier_key_);
  return grpc::Status::OK;
}

grpc::Status EnrollmentService::Enroll(grpc::ServerContext* ctx, const v1::EnrollRequest* request,
                                       v1::EnrollResponse* response) {
  if (!ca_) return Refuse(*ctx, "enrollment", "", grpc::StatusCode::FAILED_PRECONDITION, kNoCa);
  // Open: the token and the proof of the evidence key stand in for a certificate.
  if (grpc::Status s = authorization_.Admit(*ctx, Rpc::kEnroll); !s.ok()) return s;
  auto key = evidence::PublicKey::FromRaw(request->evidence_public_key());
  if (!key.ok()) {
    return Refuse(*ctx, "enrollment", "", grpc::StatusCode::INVALID_ARGUMENT,
                  "evidence_public_key: " + key.status().message());
  }
  // The caller must hold the key it registers: it signs the token and request.
  const std::string body = request->token() + "\n" + request->csr_pem();
  if (!key->Verify(evidence::Pae(evidence::kEnrollmentProofType, body), request->proof())) {
    return Refuse(*ctx, "enrollment", "", grpc::StatusCode::PERMISSION_DENIED,
                  "the proof does not verify under the evidence key presented");
  }
  const std::string agent_id = key->KeyId();
  Status enrolled =
      ledger_->Enroll(platform::Sha256(request->token()), agent_id, key->raw(), now_us_());
  if (!enrolled.ok()) {
    return Refuse(*ctx, "enrollment of agent " + agent_id, "",
                  platform::ToGrpc(enrolled).error_code(), enrolled.message());
  }
  grpc::Status issued = Issue(agent_id, request->csr_pem(), response);
  if (issued.ok()) Log("enrolled agent " + agent_id + " from " + ctx->peer());
  return issued;
}

grpc::Status EnrollmentService::Renew(grpc::ServerContext* ctx, const v1::RenewRequest* request,
                                      v1::EnrollResponse* response) {
  if (!ca_) return Refuse(*ctx, "renewal", "", grpc::StatusCode::FAILED_PRECONDITION, kNoCa);
  Caller agent_cert;
  if (grpc::Status s = authorization_.Admit(*ctx, Rpc::kRenew, &agent_cert); !s.ok()) return s;
  const std::string& agent_id = agent_cert.name;  // an agent renews only its own certificate
  auto agent = ledger_->FindAgent(agent_id);
  if (!agent.ok()) return platform::ToGrpc(agent.status());
  if (!*agent || (*agent)->state != kAgentActive) {
    return Refuse(*ctx, "renewal for agent " + agent_id, "", grpc::StatusCode::PERMISSION_DENIED,
                  *agent ? "agent is " + (*agent)->state : "agent is not known to this store");
  }
  return Issue(agent_id, request->csr_pem(), response);
}

}  // namespace shoko::store
