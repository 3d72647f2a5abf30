#include "store/enrollment_service.h"

#include <iostream>

#include "evidence/encoding.h"
#include "evidence/envelope.h"
#include "evidence/keys.h"
#include "platform/grpc_tls.h"

namespace shoko::store {
namespace {

grpc::Status Refuse(grpc::ServerContext* ctx, const std::string& what, grpc::StatusCode code,
                    std::string why) {
  for (char& c : why) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  std::cerr << "shoko-store: refused " << what << " from " << ctx->peer() << ": " << why
            << std::endl;
  return grpc::Status(code, why);
}

}  // namespace

grpc::Status EnrollmentService::Issue(const std::string& agent_id, const std::string& csr_pem,
                                      v1::EnrollResponse* response) {
  auto spec = platform::IdentitySpec("agent", agent_id, {}, cert_days_);
  if (!spec.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, spec.status().message());
  auto cert = ca_->IssueForRequest(csr_pem, *spec);
  if (!cert.ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, cert.status().message());
  auto info = platform::InspectCertificate(*cert);
  response->set_agent_id(agent_id);
  response->set_certificate_pem(*cert);
  response->set_not_after_us(info.ok() ? info->not_after_us : 0);
  return grpc::Status::OK;
}

grpc::Status EnrollmentService::Enroll(grpc::ServerContext* ctx, const v1::EnrollRequest* request,
                                       v1::EnrollResponse* response) {
  if (!ca_) {
    return Refuse(ctx, "enrollment", grpc::StatusCode::FAILED_PRECONDITION,
                  "enrollment is not configured on this store (tls_ca_key)");
  }
  auto key = evidence::PublicKey::FromRaw(request->evidence_public_key());
  if (!key.ok()) {
    return Refuse(ctx, "enrollment", grpc::StatusCode::INVALID_ARGUMENT,
                  "evidence_public_key: " + key.status().message());
  }
  // The caller must hold the key it registers: it signs the token and request.
  const std::string body = request->token() + "\n" + request->csr_pem();
  if (!key->Verify(evidence::Pae(evidence::kEnrollmentProofType, body), request->proof())) {
    return Refuse(ctx, "enrollment", grpc::StatusCode::PERMISSION_DENIED,
                  "the proof does not verify under the evidence key presented");
  }
  const std::string agent_id = key->KeyId();
  Status enrolled =
      ledger_->Enroll(platform::Sha256(request->token()), agent_id, key->raw(), now_us_());
  if (!enrolled.ok()) {
    return Refuse(ctx, "enrollment of agent " + agent_id,
                  enrolled.code() == Status::Code::kPermissionDenied
                      ? grpc::StatusCode::PERMISSION_DENIED
                      : grpc::StatusCode::INTERNAL,
                  enrolled.message());
  }
  grpc::Status issued = Issue(agent_id, request->csr_pem(), response);
  if (issued.ok()) {
    std::cerr << "shoko-store: enrolled agent " << agent_id << " from " << ctx->peer() << std::endl;
  }
  return issued;
}

grpc::Status EnrollmentService::Renew(grpc::ServerContext* ctx, const v1::RenewRequest* request,
                                      v1::EnrollResponse* response) {
  if (!ca_) {
    return Refuse(ctx, "renewal", grpc::StatusCode::FAILED_PRECONDITION,
                  "enrollment is not configured on this store (tls_ca_key)");
  }
  auto peer = platform::PeerIdentityOf(*ctx);
  if (!peer || peer->role != "agent") {
    return Refuse(ctx, "renewal", grpc::StatusCode::PERMISSION_DENIED,
                  "renewal needs the agent's current certificate");
  }
  auto agent = ledger_->FindAgent(peer->name);
  if (!agent.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, agent.status().message());
  if (!*agent || (*agent)->state != "active") {
    return Refuse(ctx, "renewal for agent " + peer->name, grpc::StatusCode::PERMISSION_DENIED,
                  *agent ? "agent is " + (*agent)->state : "agent is not known to this store");
  }
  return Issue(peer->name, request->csr_pem(), response);
}

}  // namespace shoko::store
