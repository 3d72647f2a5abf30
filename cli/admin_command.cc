#include "cli/admin_command.h"

#include "evidence/keys.h"
#include "platform/digest.h"
#include "platform/local_files.h"
#include "platform/text_table.h"
#include "platform/time_format.h"
#include "platform/yaml_doc.h"
#include "shoko/v1/admin.grpc.pb.h"

namespace shoko::cli {
namespace {

void Deadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

}  // namespace

int RunEnrollCreate(const EnrollCreate& request, std::ostream& out, std::ostream& err) {
  auto ttl = platform::ParseDuration(request.ttl);
  if (!ttl.ok()) {
    err << "shokoctl: --ttl: " << ttl.status().message() << "\n";
    return 2;
  }
  std::string address;
  auto channel = ConnectToStore(request.connection, &address, err);
  if (!channel) return 2;
  auto stub = v1::Admin::NewStub(channel);
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::CreateEnrollmentTokenRequest req;
  req.set_ttl_seconds(ttl->count());
  req.set_note(request.note);
  v1::CreateEnrollmentTokenResponse resp;
  grpc::Status s = stub->CreateEnrollmentToken(&ctx, req, &resp);
  if (!s.ok()) return StoreCallFailed(s, address, err);
  out << resp.token() << "\n";
  err << "shokoctl: one-time token, valid until " << platform::FormatRfc3339(resp.expires_at_us())
      << "\n";
  return 0;
}

int RunAgentAction(const AgentAction& request, std::ostream& out, std::ostream& err) {
  std::string public_key;
  if (request.action == "register") {
    auto pem = platform::ReadLocalFile(request.pub_file, 64 * 1024);
    auto key =
        pem.ok() ? evidence::PublicKey::FromPem(*pem) : Result<evidence::PublicKey>(pem.status());
    if (!key.ok()) {
      err << "shokoctl: --pub " << request.pub_file << ": " << key.status().message() << "\n";
      return 2;
    }
    public_key = key->raw();
  } else if (!platform::IsHexSha256(request.agent_id)) {
    err << "shokoctl: AGENT_ID must be 64 lowercase hex digits\n";
    return 2;
  }
  std::string address;
  auto channel = ConnectToStore(request.connection, &address, err);
  if (!channel) return 2;
  auto stub = v1::Admin::NewStub(channel);
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::AgentState state;
  grpc::Status s;
  if (request.action == "register") {
    v1::RegisterAgentRequest req;
    req.set_public_key(public_key);
    s = stub->RegisterAgent(&ctx, req, &state);
  } else {
    v1::AgentStateRequest req;
    req.set_agent_id(request.agent_id);
    req.set_reason(request.reason);
    s = request.action == "revoke" ? stub->RevokeAgent(&ctx, req, &state)
                                   : stub->RetireAgent(&ctx, req, &state);
  }
  if (!s.ok()) return StoreCallFailed(s, address, err);
  out << "agent " << state.agent_id() << ": " << state.state() << "\n";
  return 0;
}

}  // namespace shoko::cli
