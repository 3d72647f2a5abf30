#include "store/admin_service.h"

#include <openssl/rand.h>

#include <iostream>

#include "evidence/encoding.h"
#include "evidence/keys.h"
#include "platform/grpc_tls.h"

namespace shoko::store {

grpc::Status AdminService::Authorize(grpc::ServerContext* ctx, const char* what,
                                     std::string* admin) const {
  if (!require_identity_) {
    *admin = "loopback";
    return grpc::Status::OK;
  }
  auto peer = platform::PeerIdentityOf(*ctx);
  if (!peer || peer->role != "admin") {
    std::cerr << "shoko-store: refused " << what << " from " << ctx->peer() << " ("
              << (peer ? peer->role + " " + peer->name : std::string("no certificate"))
              << "): admins only" << std::endl;
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        std::string(what) + " is for admins only");
  }
  *admin = peer->name;
  return grpc::Status::OK;
}

grpc::Status AdminService::CreateEnrollmentToken(grpc::ServerContext* ctx,
                                                 const v1::CreateEnrollmentTokenRequest* request,
                                                 v1::CreateEnrollmentTokenResponse* response) {
  std::string admin;
  if (grpc::Status s = Authorize(ctx, "CreateEnrollmentToken", &admin); !s.ok()) return s;
  const int64_t ttl = request->ttl_seconds() == 0 ? 3600 : request->ttl_seconds();
  if (ttl < 60 || ttl > 30 * 86400) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a token lives 1 minute to 30 days");
  }
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "no randomness");
  }
  const std::string token =
      "shk1_" + platform::HexEncode(std::string(reinterpret_cast<char*>(random), sizeof random));
  const int64_t now = now_us_();
  const int64_t expires = now + ttl * 1000000;
  // Only the token's hash is stored: a copy of the database enrolls nobody.
  Status s =
      ledger_->AddEnrollmentToken(platform::Sha256(token), expires, request->note(), admin, now);
  if (!s.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, s.message());
  std::cerr << "shoko-store: admin " << admin << " created an enrollment token (" << request->note()
            << "), valid " << ttl << " s" << std::endl;
  response->set_token(token);
  response->set_expires_at_us(expires);
  return grpc::Status::OK;
}

grpc::Status AdminService::RegisterAgent(grpc::ServerContext* ctx,
                                         const v1::RegisterAgentRequest* request,
                                         v1::AgentState* response) {
  std::string admin;
  if (grpc::Status s = Authorize(ctx, "RegisterAgent", &admin); !s.ok()) return s;
  auto key = evidence::PublicKey::FromRaw(request->public_key());
  if (!key.ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, key.status().message());
  const std::string agent_id = key->KeyId();
  auto known = ledger_->FindAgent(agent_id);
  if (!known.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, known.status().message());
  if (!*known) {
    Status s = ledger_->RegisterAgent(agent_id, key->raw(), now_us_());
    if (!s.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, s.message());
    std::cerr << "shoko-store: admin " << admin << " registered agent " << agent_id << std::endl;
  }
  response->set_agent_id(agent_id);
  response->set_state(*known ? (*known)->state : "active");
  return grpc::Status::OK;
}

grpc::Status AdminService::SetState(grpc::ServerContext* ctx, const v1::AgentStateRequest* request,
                                    const char* state, v1::AgentState* response) {
  std::string admin;
  if (grpc::Status s = Authorize(ctx, state, &admin); !s.ok()) return s;
  Status s = ledger_->SetAgentState(request->agent_id(), state, request->reason(), now_us_());
  if (s.IsNotFound()) return grpc::Status(grpc::StatusCode::NOT_FOUND, s.message());
  if (!s.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, s.message());
  std::cerr << "shoko-store: admin " << admin << " marked agent " << request->agent_id() << " "
            << state << " (" << request->reason() << ")" << std::endl;
  response->set_agent_id(request->agent_id());
  response->set_state(state);
  return grpc::Status::OK;
}

grpc::Status AdminService::RevokeAgent(grpc::ServerContext* ctx,
                                       const v1::AgentStateRequest* request,
                                       v1::AgentState* response) {
  return SetState(ctx, request, "revoked", response);
}

grpc::Status AdminService::RetireAgent(grpc::ServerContext* ctx,
                                       const v1::AgentStateRequest* request,
                                       v1::AgentState* response) {
  return SetState(ctx, request, "retired", response);
}

}  // namespace shoko::store
