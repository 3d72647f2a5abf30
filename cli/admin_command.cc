#include "cli/admin_command.h"

#include <CLI/CLI.hpp>

#include "evidence/keys.h"
#include "platform/digest.h"
#include "platform/exit_code.h"
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

Status CreateToken(const EnrollCreate& request, std::ostream& out, std::ostream& err) {
  auto ttl = platform::ParseDuration(request.ttl);
  if (!ttl.ok()) return ttl.status().WithContext("--ttl");
  SHOKO_ASSIGN_OR_RETURN(StoreChannel store, ConnectToStore(request.connection));
  auto stub = v1::Admin::NewStub(store.channel);
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::CreateEnrollmentTokenRequest req;
  req.set_ttl_seconds(ttl->count());
  req.set_note(request.note);
  v1::CreateEnrollmentTokenResponse resp;
  grpc::Status s = stub->CreateEnrollmentToken(&ctx, req, &resp);
  if (!s.ok()) return store.CallFailed(s);
  out << resp.token() << "\n";
  err << "shokoctl: one-time token, valid until " << platform::FormatRfc3339(resp.expires_at_us())
      << "\n";
  return Status::OK();
}

// The raw public key `register` sends, from its PEM file.
Result<std::string> RegisteredKey(const std::string& pub_file) {
  auto pem = platform::ReadLocalFile(pub_file, 64 * 1024);
  auto key =
      pem.ok() ? evidence::PublicKey::FromPem(*pem) : Result<evidence::PublicKey>(pem.status());
  if (!key.ok()) return key.status().WithContext("--pub " + pub_file);
  return key->raw();
}

Status ChangeAgent(const AgentAction& request, std::ostream& out) {
  std::string public_key;
  if (request.action == "register") {
    SHOKO_ASSIGN_OR_RETURN(public_key, RegisteredKey(request.pub_file));
  } else if (!platform::IsHexSha256(request.agent_id)) {
    return Status::InvalidArgument("AGENT_ID must be 64 lowercase hex digits");
  }
  SHOKO_ASSIGN_OR_RETURN(StoreChannel store, ConnectToStore(request.connection));
  auto stub = v1::Admin::NewStub(store.channel);
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
  if (!s.ok()) return store.CallFailed(s);
  out << "agent " << state.agent_id() << ": " << state.state() << "\n";
  return Status::OK();
}

}  // namespace

int RunEnrollCreate(const EnrollCreate& request, std::ostream& out, std::ostream& err) {
  Status s = CreateToken(request, out, err);
  return s.ok() ? kExitOk : Fail(s, err);
}

int RunAgentAction(const AgentAction& request, std::ostream& out, std::ostream& err) {
  Status s = ChangeAgent(request, out);
  return s.ok() ? kExitOk : Fail(s, err);
}

void AddEnrollCommands(CLI::App& app, Commands& commands) {
  auto request = std::make_shared<EnrollCreate>();
  CLI::App* enroll =
      app.add_subcommand("enroll", "Bootstrap tokens for agent enrollment (admins).");
  enroll->require_subcommand(1);
  CLI::App* create =
      AddStoreCommand(*enroll, "create", "Print a one-time token for `shoko-agent enroll --token`.",
                      &request->connection);
  create->add_option("--ttl", request->ttl, "How long the token is valid (default 1h).")
      ->type_name("DURATION");
  create->add_option("--note", request->note, "What the token is for (logged).")->type_name("TEXT");
  commands.On(create, [request](std::ostream& out, std::ostream& err) {
    return RunEnrollCreate(*request, out, err);
  });
}

void AddAgentCommands(CLI::App& app, Commands& commands) {
  auto request = std::make_shared<AgentAction>();
  CLI::App* agent = app.add_subcommand("agent", "Register, revoke or retire agents (admins).");
  agent->require_subcommand(1);
  CLI::App* reg =
      AddStoreCommand(*agent, "register",
                      "Register the key of an agent that collects offline, for `shokoctl import`.",
                      &request->connection);
  reg->add_option("--pub", request->pub_file, "The agent's first public key (PEM).")
      ->required()
      ->type_name("FILE");
  CLI::App* revoke = AddStoreCommand(
      *agent, "revoke", "Refuse the agent's uploads and renewals from its next stream on.",
      &request->connection);
  CLI::App* retire =
      AddStoreCommand(*agent, "retire", "A decommissioned host: keep its evidence, accept no more.",
                      &request->connection);
  for (CLI::App* c : {revoke, retire}) {
    c->add_option("agent_id", request->agent_id, "The agent's id.")
        ->required()
        ->type_name("AGENT_ID");
    c->add_option("--reason", request->reason, "Why (logged).")->type_name("TEXT");
  }
  for (CLI::App* c : {reg, revoke, retire}) {
    commands.On(c, [request, action = c->get_name()](std::ostream& out, std::ostream& err) {
      request->action = action;
      return RunAgentAction(*request, out, err);
    });
  }
}

}  // namespace shoko::cli
