// Who may call what on the store (docs/wire-protocol.md, "Roles and what each
// may call"): one table from a client certificate's role to the RPCs it may
// call, and how far each grant reaches. It is the only place the store names a
// role.
#ifndef SHOKO_STORE_AUTHORIZATION_H_
#define SHOKO_STORE_AUTHORIZATION_H_

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>
#include <string_view>

namespace shoko::store {

// The role of an agent's certificate (shoko://agent/AGENT_ID), which the
// store's CA issues at enrollment.
inline constexpr std::string_view kAgentRole = "agent";

// The store's RPCs, as the policy names them.
enum class Rpc {
  kUpload,
  kListEvidence,
  kCompliance,
  kCreateEnrollmentToken,
  kRegisterAgent,
  kRevokeAgent,
  kRetireAgent,
  kEnroll,
  kRenew,
  kListIncidents,
  kGetCheckpoint,
  kGetInclusionProofs,
  kGetConsistencyProof,
  kGetLeaves,
  kAddCosignature,
};

// How far a role's grant of an RPC reaches.
enum class Reach {
  kAll,          // whatever the RPC offers
  kOwnAgent,     // only the agent the certificate names: its own chain, its own
                 // certificate, its own records' proofs, its own cosignatures
  kKnownAgents,  // only agents the store already knows (an importer's files)
};

// The reach of `role`'s grant of `rpc`; nothing when the role may not call it.
std::optional<Reach> GrantOf(std::string_view role, Rpc rpc);

// The caller of one call, as the policy admitted it.
struct Caller {
  std::string role;  // the certificate's role; empty over loopback plaintext or for open RPCs
  std::string name;  // the certificate's name; "loopback" over loopback plaintext
  Reach reach = Reach::kAll;
};

class Authorization {
 public:
  // With `require_identity` (TLS) a call is admitted by its client
  // certificate's role; without it (loopback plaintext, for development)
  // every call is, with full reach.
  explicit Authorization(bool require_identity) : require_identity_(require_identity) {}

  // Admits the call on `context` to `rpc` and says who made it (in `caller`,
  // when given), or refuses it (logged with who and why): PERMISSION_DENIED,
  // or UNAUTHENTICATED where the RPC has its own word for a missing
  // certificate.
  grpc::Status Admit(const grpc::ServerContext& context, Rpc rpc, Caller* caller = nullptr) const;

 private:
  const bool require_identity_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_AUTHORIZATION_H_
