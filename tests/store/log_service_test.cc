// The transparency log as served (docs/wire-protocol.md, "The transparency
// log"), against a real gRPC server in this process: every answer verifies
// with evidence/merkle.h and evidence/note.h alone, and the authorization
// table holds each role to its reach.
#include "store/log_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "evidence/note.h"
#include "platform/grpc_tls.h"
#include "platform/x509.h"
#include "shoko/v1/audit.grpc.pb.h"
#include "shoko/v1/log.grpc.pb.h"
#include "store/audit_service.h"
#include "tests/store/log_fixture.h"

namespace shoko::store {
namespace {

namespace merkle = evidence::merkle;

std::string LeafHashOf(const v1::LogLeaf& leaf) {
  return merkle::LeafHash(*evidence::LeafInput({leaf.agent_id(), leaf.seq(), leaf.record_digest(),
                                                leaf.signature_digest(), leaf.received_at_us()}));
}

std::vector<std::string> Hashes(const google::protobuf::RepeatedPtrField<std::string>& h) {
  return {h.begin(), h.end()};
}

// Agent a has seqs 1-10 (leaves 0-9), agent b seqs 1-5 (leaves 10-14);
// checkpoints of 0, 10 and 15 leaves.
class LogServiceTest : public LogFixture {
 protected:
  void SetUp() override {
    LogFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    a_ = &NewAgent();
    b_ = &NewAgent();
    sequencer_ = NewSequencer({.checkpoint_leaves = 1});
    Drain(*sequencer_);
    Accept(*a_, 10);
    Drain(*sequencer_);
    Accept(*b_, 5);
    Drain(*sequencer_);
    ASSERT_EQ((*log_->Checkpoint(0))->tree_size, 15u);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    LogFixture::TearDown();
  }

  // The services without TLS: every call admitted with full reach.
  void Serve() {
    log_service_ =
        std::make_unique<LogService>(log_.get(), ledger_.get(), false, [] { return int64_t{42}; });
    audit_ = std::make_unique<AuditService>(ledger_.get(), log_.get(), false, ComplianceContext{},
                                            [] { return int64_t{42}; });
    grpc::ServerBuilder builder;
    builder.RegisterService(log_service_.get());
    builder.RegisterService(audit_.get());
    server_ = builder.BuildAndStart();
    auto channel = server_->InProcessChannel(grpc::ChannelArguments());
    stub_ = v1::TransparencyLog::NewStub(channel);
    audit_stub_ = v1::AuditQuery::NewStub(channel);
  }

  Result<v1::Checkpoint> Checkpoint(uint64_t size) {
    grpc::ClientContext ctx;
    v1::GetCheckpointRequest req;
    req.set_tree_size(size);
    v1::Checkpoint cp;
    grpc::Status s = stub_->GetCheckpoint(&ctx, req, &cp);
    if (!s.ok()) return Status::NotFound(std::to_string(s.error_code()) + " " + s.error_message());
    return cp;
  }

  // The proofs a request streams, and how the call ended.
  std::vector<v1::InclusionProof> Proofs(const v1::InclusionProofsRequest& req, grpc::Status* end) {
    grpc::ClientContext ctx;
    auto reader = stub_->GetInclusionProofs(&ctx, req);
    std::vector<v1::InclusionProof> out;
    for (v1::InclusionProof p; reader->Read(&p);) out.push_back(p);
    *end = reader->Finish();
    return out;
  }

  TestAgent* a_ = nullptr;
  TestAgent* b_ = nullptr;
  std::unique_ptr<LogService> log_service_;
  std::unique_ptr<AuditService> audit_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::TransparencyLog::Stub> stub_;
  std::unique_ptr<v1::AuditQuery::Stub> audit_stub_;
};

TEST_P(LogServiceTest, CheckpointsLatestAndBySizeOpenUnderThePinnedKey) {
  Serve();
  auto latest = Checkpoint(0);
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  auto opened = evidence::OpenCheckpoint(latest->note(), signer_->verifier());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->tree_size, 15u);
  EXPECT_EQ(latest->tree_size(), 15u);
  EXPECT_EQ(latest->root_hash(), opened->root_hash);
  merkle::CompactRange tree;
  for (const std::string& leaf : expected_) tree.Append(leaf);
  EXPECT_EQ(opened->root_hash, tree.Root());
  auto ten = Checkpoint(10);
  ASSERT_TRUE(ten.ok());
  EXPECT_EQ(evidence::OpenCheckpoint(ten->note(), signer_->verifier())->tree_size, 10u);
  auto none = Checkpoint(11);
  EXPECT_NE(none.status().message().find("no checkpoint of tree size 11"), std::string::npos)
      << none.status().ToString();
}

TEST_P(LogServiceTest, InclusionProofsByIndexAndByAnAgentsSeqsVerifyAgainstTheCheckpoint) {
  Serve();
  const std::string root15 = Checkpoint(15)->root_hash();
  for (uint64_t index = 0; index < 15; ++index) {
    v1::InclusionProofsRequest req;
    req.set_leaf_index(index);
    grpc::Status end;
    auto proofs = Proofs(req, &end);
    ASSERT_TRUE(end.ok()) << end.error_message();
    ASSERT_EQ(proofs.size(), 1u);
    const v1::InclusionProof& p = proofs[0];
    EXPECT_EQ(p.leaf().leaf_index(), index);
    EXPECT_EQ(p.tree_size(), 15u);
    EXPECT_EQ(LeafHashOf(p.leaf()), expected_[index]);
    EXPECT_TRUE(
        merkle::VerifyInclusion(index, 15, LeafHashOf(p.leaf()), Hashes(p.hashes()), root15).ok());
  }
  // Agent a's seqs 3-7 against the checkpoint of 10, in seq order.
  v1::InclusionProofsRequest range;
  range.mutable_records()->set_agent_id(a_->id());
  range.mutable_records()->set_first_seq(3);
  range.mutable_records()->set_last_seq(7);
  range.set_tree_size(10);
  grpc::Status end;
  auto proofs = Proofs(range, &end);
  ASSERT_TRUE(end.ok()) << end.error_message();
  ASSERT_EQ(proofs.size(), 5u);
  const std::string root10 = Checkpoint(10)->root_hash();
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(proofs[i].leaf().seq(), 3 + i);
    EXPECT_EQ(proofs[i].leaf().agent_id(), a_->id());
    EXPECT_TRUE(merkle::VerifyInclusion(proofs[i].leaf().leaf_index(), 10,
                                        LeafHashOf(proofs[i].leaf()), Hashes(proofs[i].hashes()),
                                        root10)
                    .ok());
  }
  // Agent b's records are not in the tree of 10 leaves yet.
  range.mutable_records()->set_agent_id(b_->id());
  EXPECT_TRUE(Proofs(range, &end).empty());
  EXPECT_TRUE(end.ok());
}

TEST_P(LogServiceTest, ProofsBeyondTheNewestCheckpointOrOfNothingAreRefused) {
  Serve();
  grpc::Status end;
  v1::InclusionProofsRequest beyond;
  beyond.set_leaf_index(0);
  beyond.set_tree_size(16);
  Proofs(beyond, &end);
  EXPECT_EQ(end.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(end.error_message().find("beyond the newest checkpoint (15 leaves)"), std::string::npos)
      << end.error_message();
  v1::InclusionProofsRequest outside;
  outside.set_leaf_index(12);
  outside.set_tree_size(10);
  Proofs(outside, &end);
  EXPECT_EQ(end.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  Proofs(v1::InclusionProofsRequest(), &end);
  EXPECT_EQ(end.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::InclusionProofsRequest backwards;
  backwards.mutable_records()->set_agent_id(a_->id());
  backwards.mutable_records()->set_first_seq(5);
  backwards.mutable_records()->set_last_seq(4);
  Proofs(backwards, &end);
  EXPECT_EQ(end.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  grpc::ClientContext ctx;
  v1::ConsistencyProofRequest reversed;
  reversed.set_first_size(15);
  reversed.set_second_size(10);
  v1::ConsistencyProof proof;
  EXPECT_EQ(stub_->GetConsistencyProof(&ctx, reversed, &proof).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(LogServiceTest, AConsistencyProofLinksTwoCheckpoints) {
  Serve();
  grpc::ClientContext ctx;
  v1::ConsistencyProofRequest req;
  req.set_first_size(10);
  v1::ConsistencyProof proof;
  ASSERT_TRUE(stub_->GetConsistencyProof(&ctx, req, &proof).ok());
  EXPECT_EQ(proof.second_size(), 15u);  // 0: the newest
  EXPECT_TRUE(merkle::VerifyConsistency(10, 15, Checkpoint(10)->root_hash(),
                                        Checkpoint(15)->root_hash(), Hashes(proof.hashes()))
                  .ok());
}

TEST_P(LogServiceTest, GetLeavesStreamsTheLeavesAMonitorMirrors) {
  Serve();
  auto leaves = [&](uint64_t start, uint64_t end, grpc::Status* done) {
    grpc::ClientContext ctx;
    v1::GetLeavesRequest req;
    req.set_start(start);
    req.set_end(end);
    auto reader = stub_->GetLeaves(&ctx, req);
    std::vector<v1::LogLeaf> out;
    for (v1::LogLeaf l; reader->Read(&l);) out.push_back(l);
    *done = reader->Finish();
    return out;
  };
  grpc::Status done;
  auto all = leaves(0, 0, &done);
  ASSERT_TRUE(done.ok()) << done.error_message();
  ASSERT_EQ(all.size(), 15u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].leaf_index(), i);
    EXPECT_EQ(LeafHashOf(all[i]), expected_[i]);
  }
  EXPECT_EQ(leaves(12, 15, &done).size(), 3u);
  leaves(16, 0, &done);
  EXPECT_EQ(done.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  leaves(0, 20, &done);
  EXPECT_EQ(done.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(LogServiceTest, AnAgentsCosignatureIsCheckedAndKeptWithTheCheckpoint) {
  Serve();
  auto cosign = [&](uint64_t size, const std::string& line) {
    grpc::ClientContext ctx;
    v1::AddCosignatureRequest req;
    req.set_tree_size(size);
    req.set_signature_line(line);
    v1::AddCosignatureResponse resp;
    return stub_->AddCosignature(&ctx, req, &resp);
  };
  const std::string body = evidence::ParseNote(Checkpoint(15)->note())->body;
  const std::string name = std::string(kCosignerPrefix) + a_->id();
  auto line = evidence::Cosign(body, name, a_->key, 1'800'000'000);
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  grpc::Status added = cosign(15, *line);
  ASSERT_TRUE(added.ok()) << added.error_message();
  ASSERT_TRUE(cosign(15, *line).ok());  // again: kept once

  auto cosigned = Checkpoint(15);
  ASSERT_TRUE(cosigned.ok());
  auto note = evidence::ParseNote(cosigned->note());
  ASSERT_TRUE(note.ok());
  ASSERT_EQ(note->signatures.size(), 2u);
  EXPECT_TRUE(evidence::OpenCheckpoint(cosigned->note(), signer_->verifier()).ok());
  EXPECT_EQ(*evidence::VerifyCosignature(
                body, note->signatures[1],
                evidence::NoteVerifier(name, evidence::NoteKeyType::kCosignatureEd25519,
                                       a_->key.public_key())),
            1'800'000'000u);

  // Signed by another key than the agent's, for another checkpoint, or not a line.
  EXPECT_EQ(cosign(15, *evidence::Cosign(body, name, b_->key, 1)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(cosign(10, *evidence::Cosign(body, name, a_->key, 1)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(cosign(11, *line).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(cosign(15, "not a signature line").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(cosign(15, *evidence::Cosign(body, "someone/else", a_->key, 1)).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(evidence::ParseNote(Checkpoint(15)->note())->signatures.size(), 2u);
  EXPECT_EQ(evidence::ParseNote(Checkpoint(10)->note())->signatures.size(), 1u);
}

TEST_P(LogServiceTest, ListEvidenceWithAProofTreeSizeCarriesEachRecordsLeafAndProof) {
  Serve();
  const std::string root10 = Checkpoint(10)->root_hash();
  grpc::ClientContext ctx;
  v1::ListEvidenceRequest req;
  req.set_proof_tree_size(10);
  auto reader = audit_stub_->ListEvidence(&ctx, req);
  int with_proof = 0, without = 0;
  for (v1::StoredEvidence e; reader->Read(&e);) {
    if (!e.has_leaf()) {
      ++without;
      continue;
    }
    ++with_proof;
    EXPECT_EQ(e.leaf().record_digest(), e.record_digest());
    EXPECT_EQ(e.leaf().signature_digest(), evidence::SignatureDigest(e.envelope()));
    EXPECT_TRUE(merkle::VerifyInclusion(e.leaf().leaf_index(), 10, LeafHashOf(e.leaf()),
                                        Hashes(e.inclusion_proof()), root10)
                    .ok());
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(with_proof, 10);
  EXPECT_EQ(without, 5);  // agent b's, not in the tree of 10

  grpc::ClientContext beyond_ctx;
  req.set_proof_tree_size(99);
  auto beyond = audit_stub_->ListEvidence(&beyond_ctx, req);
  for (v1::StoredEvidence e; beyond->Read(&e);) {
  }
  EXPECT_EQ(beyond->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(LogServiceTest, ListIncidentsShowsGapsForksAndWitnessIncidentsOldestFirst) {
  Accept(*b_, 2, /*skip=*/3);  // seqs 6-8 never arrive: received at 5009
  ASSERT_TRUE(ledger_
                  ->RecordIncident({a_->id(), 4, std::string(kForkIncident), "from peer x", 4000,
                                    "refused envelope"})
                  .ok());
  v1::Evidence witness;
  witness.set_kind(v1::LIFECYCLE);
  witness.set_check_id(std::string(kWitnessIncidentCheckId));
  (*witness.mutable_facts()->mutable_fields())["failure"].set_string_value("not_included");
  AcceptRecord(*a_, witness);  // seq 11, received at 5011
  Serve();
  grpc::ClientContext ctx;
  auto reader = audit_stub_->ListIncidents(&ctx, v1::ListIncidentsRequest());
  std::vector<v1::StoreIncident> all;
  for (v1::StoreIncident i; reader->Read(&i);) all.push_back(i);
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].kind(), "fork");
  EXPECT_EQ(all[0].first_seq(), 4u);
  EXPECT_EQ(all[1].kind(), "gap");
  EXPECT_EQ(all[1].agent_id(), b_->id());
  EXPECT_EQ(all[1].first_seq(), 6u);
  EXPECT_EQ(all[1].last_seq(), 8u);
  EXPECT_EQ(all[2].kind(), "witness");
  EXPECT_EQ(all[2].first_seq(), 11u);
  EXPECT_EQ(all[2].detail(), "not_included");
  EXPECT_EQ(evidence::ParseEvidence(all[2].envelope().payload())->check_id(),
            kWitnessIncidentCheckId);

  grpc::ClientContext only_b;
  v1::ListIncidentsRequest req;
  req.set_agent_id(b_->id().substr(0, 8));
  auto of_b = audit_stub_->ListIncidents(&only_b, req);
  int n = 0;
  for (v1::StoreIncident i; of_b->Read(&i);) ++n;
  EXPECT_TRUE(of_b->Finish().ok());
  EXPECT_EQ(n, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, LogServiceTest, ::testing::ValuesIn(testing::LedgerBackends()),
                         [](const auto& param) { return param.param; });

// With TLS each role reaches what the authorization table gives it.
class LogReachTest : public LogServiceTest {
 protected:
  void ServeTls() {
    auto ca = platform::CertificateAuthority::Create("test-ca", 30);
    ASSERT_TRUE(ca.ok());
    ca_file_ = dir_.Write("ca.crt", ca->cert_pem());
    auto store_cert = ca->IssueWithNewKey(*platform::IdentitySpec("store", "s", {}, 30));
    for (const auto& [role, name] : std::vector<std::pair<std::string, std::string>>{
             {"agent", a_->id()}, {"importer", "imp"}, {"auditor", "aud"}}) {
      auto cert = ca->IssueWithNewKey(*platform::IdentitySpec(role, name, {}, 30));
      ASSERT_TRUE(cert.ok());
      files_[role] = {ca_file_, dir_.Write(role + ".crt", cert->cert_pem),
                      dir_.Write(role + ".key", cert->key_pem)};
    }
    auto creds =
        platform::ServerTlsCredentials({ca_file_, dir_.Write("s.crt", store_cert->cert_pem),
                                        dir_.Write("s.key", store_cert->key_pem)});
    ASSERT_TRUE(creds.ok()) << creds.status().ToString();
    log_service_ =
        std::make_unique<LogService>(log_.get(), ledger_.get(), true, [] { return int64_t{42}; });
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", *creds, &port);
    builder.RegisterService(log_service_.get());
    server_ = builder.BuildAndStart();
    address_ = "127.0.0.1:" + std::to_string(port);
  }
  void As(const std::string& role) {
    stub_ = v1::TransparencyLog::NewStub(
        *platform::OpenChannel(address_, files_[role], grpc::ChannelArguments()));
  }
  grpc::StatusCode ProofsOf(const TestAgent& agent) {
    v1::InclusionProofsRequest req;
    req.mutable_records()->set_agent_id(agent.id());
    req.mutable_records()->set_first_seq(1);
    req.mutable_records()->set_last_seq(100);
    grpc::Status end;
    Proofs(req, &end);
    return end.error_code();
  }
  grpc::StatusCode LeavesCall() {
    grpc::ClientContext ctx;
    auto reader = stub_->GetLeaves(&ctx, v1::GetLeavesRequest());
    for (v1::LogLeaf l; reader->Read(&l);) {
    }
    return reader->Finish().error_code();
  }
  grpc::StatusCode CosignAs(const TestAgent& signer, const TestAgent& named) {
    grpc::ClientContext ctx;
    v1::AddCosignatureRequest req;
    req.set_tree_size(15);
    const std::string body = evidence::ParseNote(Checkpoint(15)->note())->body;
    req.set_signature_line(
        *evidence::Cosign(body, std::string(kCosignerPrefix) + named.id(), signer.key, 7));
    v1::AddCosignatureResponse resp;
    return stub_->AddCosignature(&ctx, req, &resp).error_code();
  }

  std::string ca_file_, address_;
  std::map<std::string, platform::TlsFiles> files_;
};

TEST_P(LogReachTest, AnAgentWitnessesForItselfAnAuditorReadsEverythingAnImporterNothing) {
  ServeTls();
  As("agent");
  EXPECT_TRUE(Checkpoint(0).ok());
  EXPECT_EQ(ProofsOf(*a_), grpc::StatusCode::OK);
  EXPECT_EQ(ProofsOf(*b_), grpc::StatusCode::PERMISSION_DENIED);
  v1::InclusionProofsRequest b_leaf;
  b_leaf.set_leaf_index(12);  // agent b's
  grpc::Status end;
  Proofs(b_leaf, &end);
  EXPECT_EQ(end.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(LeavesCall(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CosignAs(*a_, *a_), grpc::StatusCode::OK);
  EXPECT_EQ(CosignAs(*b_, *b_), grpc::StatusCode::PERMISSION_DENIED);  // as another agent

  As("auditor");
  EXPECT_TRUE(Checkpoint(0).ok());
  EXPECT_EQ(ProofsOf(*b_), grpc::StatusCode::OK);
  EXPECT_EQ(LeavesCall(), grpc::StatusCode::OK);
  EXPECT_EQ(CosignAs(*a_, *a_), grpc::StatusCode::PERMISSION_DENIED);

  As("importer");
  EXPECT_FALSE(Checkpoint(0).ok());
  EXPECT_EQ(ProofsOf(*a_), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(LeavesCall(), grpc::StatusCode::PERMISSION_DENIED);
}

INSTANTIATE_TEST_SUITE_P(Backends, LogReachTest, ::testing::Values("sqlite"),
                         [](const auto& param) { return param.param; });

}  // namespace
}  // namespace shoko::store
