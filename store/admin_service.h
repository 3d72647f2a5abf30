// Administration (design §5): bootstrap tokens, keys registered for offline
// agents, revocation and retirement. Admin certificates only.
#ifndef SHOKO_STORE_ADMIN_SERVICE_H_
#define SHOKO_STORE_ADMIN_SERVICE_H_

#include <functional>

#include "shoko/v1/admin.grpc.pb.h"
#include "store/ledger.h"

namespace shoko::store {

class AdminService final : public v1::Admin::Service {
 public:
  // With `require_identity` (TLS) only admins may call; over loopback
  // plaintext (development) anyone on the machine may.
  AdminService(Ledger* ledger, std::function<int64_t()> now_us, bool require_identity)
      : ledger_(ledger), now_us_(std::move(now_us)), require_identity_(require_identity) {}

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
  // The admin's name, or a refusal.
  grpc::Status Authorize(grpc::ServerContext* context, const char* what, std::string* admin) const;
  grpc::Status SetState(grpc::ServerContext* context, const v1::AgentStateRequest* request,
                        const char* state, v1::AgentState* response);

  Ledger* ledger_;
  std::function<int64_t()> now_us_;
  const bool require_identity_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_ADMIN_SERVICE_H_
