// The store's one authorization table, role by role and RPC by RPC.
#include "store/authorization.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace shoko::store {
namespace {

constexpr Rpc kEveryRpc[] = {Rpc::kUpload,
                             Rpc::kListEvidence,
                             Rpc::kCompliance,
                             Rpc::kCreateEnrollmentToken,
                             Rpc::kRegisterAgent,
                             Rpc::kRevokeAgent,
                             Rpc::kRetireAgent,
                             Rpc::kEnroll,
                             Rpc::kRenew,
                             Rpc::kListIncidents,
                             Rpc::kGetCheckpoint,
                             Rpc::kGetInclusionProofs,
                             Rpc::kGetConsistencyProof,
                             Rpc::kGetLeaves,
                             Rpc::kAddCosignature};

TEST(AuthorizationTest, EachRoleMayCallExactlyItsRpcs) {
  const std::map<std::string, std::map<Rpc, Reach>> expected = {
      {"agent",
       {{Rpc::kUpload, Reach::kOwnAgent},
        {Rpc::kRenew, Reach::kOwnAgent},
        {Rpc::kGetCheckpoint, Reach::kAll},
        {Rpc::kGetConsistencyProof, Reach::kAll},
        {Rpc::kGetInclusionProofs, Reach::kOwnAgent},
        {Rpc::kAddCosignature, Reach::kOwnAgent}}},
      // An importer only sends files: it reads nothing.
      {"importer", {{Rpc::kUpload, Reach::kKnownAgents}}},
      {"auditor",
       {{Rpc::kListEvidence, Reach::kAll},
        {Rpc::kCompliance, Reach::kAll},
        {Rpc::kListIncidents, Reach::kAll},
        {Rpc::kGetCheckpoint, Reach::kAll},
        {Rpc::kGetInclusionProofs, Reach::kAll},
        {Rpc::kGetConsistencyProof, Reach::kAll},
        {Rpc::kGetLeaves, Reach::kAll}}},
      {"admin",
       {{Rpc::kListEvidence, Reach::kAll},
        {Rpc::kCompliance, Reach::kAll},
        {Rpc::kListIncidents, Reach::kAll},
        {Rpc::kGetCheckpoint, Reach::kAll},
        {Rpc::kGetInclusionProofs, Reach::kAll},
        {Rpc::kGetConsistencyProof, Reach::kAll},
        {Rpc::kGetLeaves, Reach::kAll},
        {Rpc::kCreateEnrollmentToken, Reach::kAll},
        {Rpc::kRegisterAgent, Reach::kAll},
        {Rpc::kRevokeAgent, Reach::kAll},
        {Rpc::kRetireAgent, Reach::kAll}}},
      // A store's own certificate, an unknown role and a role in the wrong
      // case may call nothing.
      {"store", {}},
      {"operator", {}},
      {"Admin", {}},
      {"", {}},
  };
  for (const auto& [role, grants] : expected) {
    for (Rpc rpc : kEveryRpc) {
      const std::optional<Reach> reach = GrantOf(role, rpc);
      auto want = grants.find(rpc);
      SCOPED_TRACE("role '" + role + "', rpc " + std::to_string(static_cast<int>(rpc)));
      if (want == grants.end()) {
        EXPECT_FALSE(reach.has_value());
      } else {
        ASSERT_TRUE(reach.has_value());
        EXPECT_EQ(*reach, want->second);
      }
    }
  }
}

TEST(AuthorizationTest, LoopbackPlaintextAdmitsEveryCallWithFullReach) {
  const Authorization loopback(/*require_identity=*/false);
  grpc::ServerContext context;  // no call, no certificate: the policy must not ask for one
  for (Rpc rpc : kEveryRpc) {
    Caller caller{"x", "y", Reach::kOwnAgent};
    EXPECT_TRUE(loopback.Admit(context, rpc, &caller).ok());
    EXPECT_EQ(caller.name, "loopback");
    EXPECT_EQ(caller.reach, Reach::kAll);
  }
}

TEST(AuthorizationTest, EnrollmentIsOpenEvenWithTls) {
  const Authorization tls(/*require_identity=*/true);
  grpc::ServerContext context;
  Caller caller;
  EXPECT_TRUE(tls.Admit(context, Rpc::kEnroll, &caller).ok());
  EXPECT_EQ(caller.role, "");
}

}  // namespace
}  // namespace shoko::store
