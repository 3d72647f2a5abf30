// Administration (docs/wire-protocol.md, "Administration"): bootstrap tokens,
// keys registered for offline agents, revocation and retirement. Admin
// certificates only.
#ifndef SHOKO_STORE_ADMIN_SERVICE_H_
#define SHOKO_STORE_ADMIN_SERVICE_H_

#include <functional>
#include <string_view>

#include "shoko/v1/admin.grpc.pb.h"
#include "store/authorization.h"
#include "store/ledger.h"

namespace shoko::store {

class AdminService final : public v1::Admin::Service {
 public:
  // With `require_identity` (TLS) only admins may call; over loopback
  // plaintext (development) anyone on the machine may.
  AdminService(Ledger* ledger, std::function<int64_t()> now_us, bool require_identity)
      : ledger_(ledger), now_us_(std::move(now_us)), authorization_(require_identity) {}

  grpc::Status CreateEnrollmentToken(grpc::ServerContext* context,
                                     const v1::CreateEnrollmentTokenRequest* request,
                                     v1::CreateEnrollmentTokenResponse* response) override;
  grpc::Status RegisterAgent(grpc::ServerContext* context, const v1::RegisterAgentRequest* request,
                             v1::AgentState* response) override;
  grpc::Status RevokeAgent(grpc::ServerContext* context, const v1::AgentStateRequest* request,
                           v1::AgentState* response) override;
  grpc::Status RetireAgent(grpc::ServerContext* context, const v1::AgentStateRequest* request,
                           v1::AgentState* response) override;

 private:
  grpc::Status SetState(grpc::ServerContext* context, Rpc rpc, const v1::AgentStateRequest* request,
                        std::string_view state, v1::AgentState* response);

  Ledger* ledger_;
  std::function<int64_t()> now_us_;
  const Authorization authorization_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_ADMIN_SERVICE_H_
