#include "store/admin_service.h"

#include <openssl/rand.h>

#include "evidence/keys.h"
#include "platform/digest.h"
#include "platform/grpc_status.h"
#include "store/store_log.h"

namespace shoko::store {

grpc::Status AdminService::CreateEnrollmentToken(grpc::ServerContext* ctx,
                                                 const v1::CreateEnrollmentTokenRequest* request,
                                                 v1::CreateEnrollmentTokenResponse* response) {
  Caller admin;
  if (grpc::Status s = authorization_.Admit(*ctx, Rpc::kCreateEnrollmentToken, &admin); !s.ok()) {
    return s;
  }
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
  Status s = ledger_->AddEnrollmentToken(platform::Sha256(token), expires, request->note(),
                                         admin.name, now);
  if (!s.ok()) return platform::ToGrpc(s);
  Log("admin " + admin.name + " created an enrollment token (" + request->note() + "), valid " +
      std::to_string(ttl) + " s");
  response->set_token(token);
  response->set_expires_at_us(expires);
  return grpc::Status::OK;
}

grpc::Status AdminService::RegisterAgent(grpc::ServerContext* ctx,
                                         const v1::RegisterAgentRequest* request,
                                         v1::AgentState* response) {
  Caller admin;
  if (grpc::Status s = authorization_.Admit(*ctx, Rpc::kRegisterAgent, &admin); !s.ok()) return s;
  auto key = evidence::PublicKey::FromRaw(request->public_key());
  if (!key.ok()) return platform::ToGrpc(key.status());
  const std::string agent_id = key->KeyId();
  auto known = ledger_->FindAgent(agent_id);
  if (!known.ok()) return platform::ToGrpc(known.status());
  if (!*known) {
    Status s = ledger_->RegisterAgent(agent_id, key->raw(), now_us_());
    if (!s.ok()) return platform::ToGrpc(s);
    Log("admin " + admin.name + " registered agent " + agent_id);
  }
  response->set_agent_id(agent_id);
  response->set_state(*known ? (*known)->state : std::string(kAgentActive));
  return grpc::Status::OK;
}

grpc::Status AdminService::SetState(grpc::ServerContext* ctx, Rpc rpc,
                                    const v1::AgentStateRequest* request, std::string_view state,
                                    v1::AgentState* response) {
  Caller admin;
  if (grpc::Status s = authorization_.Admit(*ctx, rpc, &admin); !s.ok()) return s;
  Status s =
      ledger_->SetAgentState(request->agent_id(), std::string(state), request->reason(), now_us_());
  if (!s.ok()) return platform::ToGrpc(s);
  Log("admin " + admin.name + " marked agent " + request->agent_id() + " " + std::string(state) +
      " (" + request->reason() + ")");
  response->set_agent_id(request->agent_id());
  response->set_state(std::string(state));
  return grpc::Status::OK;
}

grpc::Status AdminService::RevokeAgent(grpc::ServerContext* ctx,
                                       const v1::AgentStateRequest* request,
                                       v1::AgentState* response) {
  return SetState(ctx, Rpc::kRevokeAgent, request, kAgentRevoked, response);
}

grpc::Status AdminService::RetireAgent(grpc::ServerContext* ctx,
                                       const v1::AgentStateRequest* request,
                                       v1::AgentState* response) {
  return SetState(ctx, Rpc::kRetireAgent, request, kAgentRetired, response);
}

}  // namespace shoko::store
