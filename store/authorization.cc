#include "store/authorization.h"

#include "platform/grpc_tls.h"
#include "store/store_log.h"

namespace shoko::store {
namespace {

// One role's grant of one RPC.
struct Grant {
  std::string_view role;
  Rpc rpc;
  Reach reach;
};

// The policy.
constexpr Grant kGrants[] = {
    {kAgentRole, Rpc::kUpload, Reach::kOwnAgent},
    {kAgentRole, Rpc::kRenew, Reach::kOwnAgent},
    // An agent witnesses the log: it reads checkpoints and consistency
    // proofs, proofs of its own records, and cosigns as itself.
    {kAgentRole, Rpc::kGetCheckpoint, Reach::kAll},
    {kAgentRole, Rpc::kGetConsistencyProof, Reach::kAll},
    {kAgentRole, Rpc::kGetInclusionProofs, Reach::kOwnAgent},
    {kAgentRole, Rpc::kAddCosignature, Reach::kOwnAgent},
    {"importer", Rpc::kUpload, Reach::kKnownAgents},
    {"auditor", Rpc::kListEvidence, Reach::kAll},
    {"auditor", Rpc::kCompliance, Reach::kAll},
    {"auditor", Rpc::kListIncidents, Reach::kAll},
    {"auditor", Rpc::kGetCheckpoint, Reach::kAll},
    {"auditor", Rpc::kGetInclusionProofs, Reach::kAll},
    {"auditor", Rpc::kGetConsistencyProof, Reach::kAll},
    {"auditor", Rpc::kGetLeaves, Reach::kAll},
    {"admin", Rpc::kListEvidence, Reach::kAll},
    {"admin", Rpc::kCompliance, Reach::kAll},
    {"admin", Rpc::kListIncidents, Reach::kAll},
    {"admin", Rpc::kGetCheckpoint, Reach::kAll},
    {"admin", Rpc::kGetInclusionProofs, Reach::kAll},
    {"admin", Rpc::kGetConsistencyProof, Reach::kAll},
    {"admin", Rpc::kGetLeaves, Reach::kAll},
    {"admin", Rpc::kCreateEnrollmentToken, Reach::kAll},
    {"admin", Rpc::kRegisterAgent, Reach::kAll},
    {"admin", Rpc::kRevokeAgent, Reach::kAll},
    {"admin", Rpc::kRetireAgent, Reach::kAll},
};

// How an RPC is admitted, named in the log, and what a caller it refuses is
// told.
struct RpcRule {
  Rpc rpc;
  std::string_view name;
  // Open to anyone, certificate or not.
  bool open;
  // To a certified caller without a grant; "{caller}" stands for "role ROLE (NAME)".
  std::string_view refusal;
  // To a caller without a certificate, as UNAUTHENTICATED; empty: `refusal`,
  // as PERMISSION_DENIED.
  std::string_view no_certificate;
};

// Enrollment is open: the one-time token and the proof of the evidence key
// stand in for a certificate.
constexpr RpcRule kRules[] = {
    {Rpc::kUpload, "upload", false, "{caller} may not upload evidence",
     "uploads need a client certificate from the deployment CA"},
    {Rpc::kListEvidence, "ListEvidence", false, "only auditors and admins read evidence", ""},
    {Rpc::kCompliance, "Compliance", false, "only auditors and admins read evidence", ""},
    {Rpc::kCreateEnrollmentToken, "CreateEnrollmentToken", false,
     "CreateEnrollmentToken is for admins only", ""},
    {Rpc::kRegisterAgent, "RegisterAgent", false, "RegisterAgent is for admins only", ""},
    {Rpc::kRevokeAgent, "RevokeAgent", false, "RevokeAgent is for admins only", ""},
    {Rpc::kRetireAgent, "RetireAgent", false, "RetireAgent is for admins only", ""},
    {Rpc::kEnroll, "enrollment", true, "", ""},
    {Rpc::kRenew, "renewal", false, "renewal needs the agent's current certificate", ""},
    {Rpc::kListIncidents, "ListIncidents", false, "only auditors and admins read incidents", ""},
    {Rpc::kGetCheckpoint, "GetCheckpoint", false, "{caller} may not read the log's checkpoints",
     ""},
    {Rpc::kGetInclusionProofs, "GetInclusionProofs", false,
     "{caller} may not read the log's inclusion proofs", ""},
    {Rpc::kGetConsistencyProof, "GetConsistencyProof", false,
     "{caller} may not read the log's consistency proofs", ""},
    {Rpc::kGetLeaves, "GetLeaves", false, "only auditors and admins read the log's leaves", ""},
    {Rpc::kAddCosignature, "AddCosignature", false, "only agents cosign the log's checkpoints", ""},
};

const RpcRule& RuleOf(Rpc rpc) {
  for (const RpcRule& r : kRules) {
    if (r.rpc == rpc) return r;
  }
  return kRules[0];  // unreachable: every Rpc has its rule
}

std::string Expand(std::string_view refusal, const platform::PeerIdentity& peer) {
  std::string out(refusal);
  const size_t at = out.find("{caller}");
  if (at != std::string::npos) {
    out.replace(at, 8, "role " + peer.role + " (" + peer.name + ")");
  }
  return out;
}

}  // namespace

std::optional<Reach> GrantOf(std::string_view role, Rpc rpc) {
  for (const Grant& g : kGrants) {
    if (g.role == role && g.rpc == rpc) return g.reach;
  }
  return std::nullopt;
}

grpc::Status Authorization::Admit(const grpc::ServerContext& context, Rpc rpc,
                                  Caller* caller) const {
  Caller ignored;
  if (caller == nullptr) caller = &ignored;
  const RpcRule& rule = RuleOf(rpc);
  if (!require_identity_ || rule.open) {
    *caller = {"", require_identity_ ? "" : "loopback", Reach::kAll};
    return grpc::Status::OK;
  }
  const std::optional<platform::PeerIdentity> peer = platform::PeerIdentityOf(context);
  if (!peer) {
    return rule.no_certificate.empty()
               ? Refuse(context, rule.name, "(no certificate)", grpc::StatusCode::PERMISSION_DENIED,
                        std::string(rule.refusal))
               : Refuse(context, rule.name, "(no certificate)", grpc::StatusCode::UNAUTHENTICATED,
                        std::string(rule.no_certificate));
  }
  const std::optional<Reach> reach = GrantOf(peer->role, rpc);
  if (!reach) {
    return Refuse(context, rule.name, "(" + peer->role + " " + peer->name + ")",
                  grpc::StatusCode::PERMISSION_DENIED, Expand(rule.refusal, *peer));
  }
  *caller = {peer->role, peer->name, *reach};
  return grpc::Status::OK;
}

}  // namespace shoko::store
