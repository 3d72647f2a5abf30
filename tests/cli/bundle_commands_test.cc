// `shokoctl export --format bundle` and `shokoctl verify --log-key` against a
// store and a log that serve what the test says: a bundle verifies with the
// log key alone, and each way of tampering with one is a finding naming the
// agent and seq, exit 1.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "cli/bundle_verify.h"
#include "cli/export_command.h"
#include "evidence/bundle.h"
#include "evidence/note.h"
#include "tests/cli/captured.h"
#include "tests/cli/fake_log.h"
#include "tests/cli/fake_store.h"
#include "tests/support/temp_dir.h"

namespace shoko::cli {
namespace {

constexpr int64_t kReceivedAt = 1'700'000'000'000'000;
constexpr int64_t kSignedAt = kReceivedAt + 1'000'000;

class BundleCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    audit_.SetRecords(chain_);
    audit_.prove = [this](uint64_t size, v1::StoredEvidence* s) { log_.Prove(size, s); };
    AppendToLog(0, 6);
    log_.Sign(kSignedAt);
    log_key_ = dir_.Write("log.vkey", log_.VerifierKey() + "\n");
  }

  // Makes records [from, to) of the chain leaves of the log.
  void AppendToLog(size_t from, size_t to) {
    std::vector<v1::LogLeaf> leaves;
    for (size_t i = from; i < to; ++i) leaves.push_back(testing::LeafOf(chain_[i], i));
    log_.Append(leaves);
  }

  int Export(ExportRequest request = {}) {
    request.connection.store = store_.address();
    request.format = "bundle";
    if (request.output.empty()) request.output = bundle_;
    return printed_.Run(RunExport, request);
  }

  int Verify(BundleVerifyRequest request = {}) {
    if (request.file.empty()) request.file = bundle_;
    if (request.log_key.empty()) request.log_key = log_key_;
    return printed_.Run(RunVerifyBundle, request);
  }

  // The exported bundle, changed by `change`, written back.
  template <typename Change>
  void Rewrite(Change change) {
    auto bundle = evidence::DecodeBundle(shoko::testing::ReadFileOrEmpty(bundle_));
    ASSERT_TRUE(bundle.ok()) << bundle.status().message();
    change(*bundle);
    dir_.Write("bundle.json", evidence::EncodeBundle(*bundle));
  }

  bool Says(const std::string& text) const { return printed_.Says(text); }

  shoko::testing::TempDir dir_;
  evidence::SigningKey key_ = *evidence::SigningKey::Generate();
  std::string agent_ = key_.public_key().KeyId();
  std::vector<v1::StoredEvidence> chain_ = testing::SignedChain(key_, 8, kReceivedAt);
  testing::FakeLog log_;
  testing::FakeAuditQuery audit_;
  testing::FakeStore store_{{&audit_, &log_}};
  std::string bundle_ = dir_.Path("bundle.json");
  std::string log_key_;
  testing::Captured printed_;
  const std::string& out_ = printed_.out;
  const std::string& err_ = printed_.err;
};

TEST_F(BundleCommandsTest, AnExportVerifiesWithTheLogKeyAloneAndSaysWhatItLeftOut) {
  ASSERT_EQ(Export(), 0) << err_;
  EXPECT_TRUE(Says("wrote 6 record(s) of 1 agent(s) to " + bundle_ + " (bundle)\n")) << out_;
  EXPECT_TRUE(Says("agent " + agent_ + ": seq 1-6\n")) << out_;
  EXPECT_TRUE(Says("proven against the checkpoint of 6 leaves")) << out_;
  // Seqs 7 and 8 reached the store after the checkpoint was signed.
  EXPECT_TRUE(Says("2 record(s) received after that checkpoint are not in the bundle")) << out_;
  EXPECT_EQ(audit_.last_request().proof_tree_size(), 6u);

  EXPECT_EQ(Verify(), 0) << out_ << err_;
  EXPECT_TRUE(Says("agent " + agent_ + ": seq 1-6: whole, linked and included")) << out_;
  EXPECT_TRUE(Says(bundle_ +
                   ": 6 record(s) of 1 agent(s) in the checkpoint of 6 leaves (log.example/test): "
                   "6 valid, 0 finding(s); 0 witness(es)"))
      << out_;
}

TEST_F(BundleCommandsTest, ARecordRemovedIsMissingAndExit1) {
  ASSERT_EQ(Export(), 0) << err_;
  Rewrite([](evidence::Bundle& b) { b.records.erase(b.records.begin() + 2); });
  EXPECT_EQ(Verify(), 1) << out_;
  EXPECT_TRUE(Says(": agent " + agent_.substr(0, 16) + "… seq 3: missing-record")) << out_;
}

TEST_F(BundleCommandsTest, ARangeClaimingMoreThanItHoldsIsMissingAndExit1) {
  ASSERT_EQ(Export(), 0) << err_;
  Rewrite([](evidence::Bundle& b) { b.agents[0].last_seq = 8; });
  EXPECT_EQ(Verify(), 1) << out_;
  EXPECT_TRUE(Says("seq 7: missing-record")) << out_;
  EXPECT_TRUE(Says("agent " + agent_ + ": seq 1-8: 1 finding(s)")) << out_;
}

TEST_F(BundleCommandsTest, AnAlteredReceivedTimeIsABadProof) {
  ASSERT_EQ(Export(), 0) << err_;
  Rewrite([](evidence::Bundle& b) { b.records[4].received_at_us += 1; });
  EXPECT_EQ(Verify(), 1) << out_;
  EXPECT_TRUE(Says("seq 5: bad-proof")) << out_;
}

TEST_F(BundleCommandsTest, ATruncatedProofIsABadProof) {
  ASSERT_EQ(Export(), 0) << err_;
  Rewrite([](evidence::Bundle& b) { b.records[0].inclusion_proof.pop_back(); });
  EXPECT_EQ(Verify(), 1) << out_;
  EXPECT_TRUE(Says("seq 1: bad-proof")) << out_;
}

TEST_F(BundleCommandsTest, AnotherLogsKeyOrOriginIsABadCheckpoint) {
  ASSERT_EQ(Export(), 0) << err_;
  testing::FakeLog other;
  BundleVerifyRequest request;
  request.log_key = dir_.Write("other.vkey", other.VerifierKey());
  EXPECT_EQ(Verify(request), 1) << out_;
  EXPECT_TRUE(Says("bad-checkpoint")) << out_;
  EXPECT_TRUE(Says("in a checkpoint the pinned key does not verify")) << out_;

  testing::FakeLog renamed("log.example/another");
  request.log_key = dir_.Write("renamed.vkey", renamed.VerifierKey());
  EXPECT_EQ(Verify(request), 1) << out_;
  EXPECT_TRUE(Says("bad-checkpoint")) << out_;
}

TEST_F(BundleCommandsTest, WhatIsNotABundleIsOneLineAndExit1) {
  ASSERT_EQ(Export(), 0) << err_;
  const std::string text = shoko::testing::ReadFileOrEmpty(bundle_);
  dir_.Write("bundle.json", text.substr(0, text.size() / 2));
  EXPECT_EQ(Verify(), 1);
  EXPECT_EQ(std::count(out_.begin(), out_.end(), '\n'), 1) << out_;
  EXPECT_TRUE(Says(bundle_ + ": not a bundle: ")) << out_;

  dir_.Write("bundle.json", "{\"format\": \"shoko-bundle/v1\"}\n");
  EXPECT_EQ(Verify(), 1);
  EXPECT_TRUE(Says(bundle_ + ": not a bundle: ")) << out_;
}

TEST_F(BundleCommandsTest, UnreadableInputIsExit2) {
  BundleVerifyRequest request;
  request.file = dir_.Path("absent.json");
  EXPECT_EQ(Verify(request), 2);
  EXPECT_NE(err_.find("absent.json"), std::string::npos) << err_;

  ASSERT_EQ(Export(), 0) << err_;
  request = {};
  request.previous = dir_.Path("absent.note");
  EXPECT_EQ(Verify(request), 2);
  EXPECT_NE(err_.find("--previous"), std::string::npos) << err_;

  request = {};
  request.log_key = dir_.Write("bad.vkey", "not a key\n");
  EXPECT_EQ(Verify(request), 2);
  EXPECT_NE(err_.find("bad.vkey"), std::string::npos) << err_;
}

TEST_F(BundleCommandsTest, APreviousCheckpointIsProvenExtendedOrItsAbsenceIsAFinding) {
  v1::Checkpoint kept;
  v1::GetCheckpointRequest latest;
  ASSERT_TRUE(log_.GetCheckpoint(nullptr, &latest, &kept).ok());
  const std::string kept_file = dir_.Write("kept.note", kept.note());
  AppendToLog(6, 8);
  log_.Sign(kSignedAt + 1'000'000);

  // Exported without the proof, the kept checkpoint is not shown extended.
  ASSERT_EQ(Export(), 0) << err_;
  BundleVerifyRequest request;
  request.previous = kept_file;
  EXPECT_EQ(Verify(request), 1) << out_;
  EXPECT_TRUE(Says("inconsistent-checkpoint")) << out_;

  ExportRequest with_previous;
  with_previous.previous = kept_file;
  ASSERT_EQ(Export(with_previous), 0) << err_;
  EXPECT_TRUE(Says("with the consistency proof from the checkpoint of 6 leaves")) << out_;
  EXPECT_EQ(Verify(request), 0) << out_;
}

TEST_F(BundleCommandsTest, AKeptCheckpointLargerThanTheLogsIsExit1AtExport) {
  AppendToLog(6, 8);
  log_.Sign(kSignedAt + 1'000'000);
  v1::Checkpoint kept;
  v1::GetCheckpointRequest latest;
  ASSERT_TRUE(log_.GetCheckpoint(nullptr, &latest, &kept).ok());
  // The store rolls back: its latest checkpoint is one of 6 leaves again.
  std::vector<v1::LogLeaf> six;
  for (size_t i = 0; i < 6; ++i) six.push_back(testing::LeafOf(chain_[i], i));
  log_.SignFork(six, kSignedAt + 2'000'000);
  ExportRequest request;
  request.previous = dir_.Write("kept.note", kept.note());
  EXPECT_EQ(Export(request), 1) << out_;
  EXPECT_NE(
      err_.find("the kept checkpoint of 8 leaves is larger than the store's latest (6 leaves)"),
      std::string::npos)
      << err_;
  EXPECT_EQ(shoko::testing::ReadFileOrEmpty(bundle_), "");
}

TEST_F(BundleCommandsTest, WitnessesAreCountedAgainstWhatTheAuditorRequires) {
  ASSERT_EQ(Export(), 0) << err_;
  BundleVerifyRequest request;
  request.witnesses = 1;
  EXPECT_EQ(Verify(request), 1) << out_;
  EXPECT_TRUE(Says("too-few-witnesses")) << out_;
  EXPECT_TRUE(Says("0 witness(es) of 1 required")) << out_;

  Rewrite([&](evidence::Bundle& b) {
    auto note = evidence::ParseNote(b.checkpoint);
    ASSERT_TRUE(note.ok());
    auto line = evidence::Cosign(note->body, evidence::AgentCosignerName(agent_), key_,
                                 kSignedAt / 1'000'000 + 1);
    ASSERT_TRUE(line.ok()) << line.status().message();
    b.checkpoint = *evidence::AddSignatureLines(b.checkpoint, {*line});
  });
  EXPECT_EQ(Verify(request), 0) << out_;
  EXPECT_TRUE(Says("1 witness(es) of 1 required")) << out_;
}

TEST_F(BundleCommandsTest, AControlSelectionExportsTheWholeRangeAroundIt) {
  // The control maps to seqs 2 and 4; the bundle holds 2-4 whole.
  audit_.lists = [](const v1::ListEvidenceRequest& request, const v1::StoredEvidence& stored) {
    v1::Evidence ev;
    ev.ParseFromString(stored.envelope().payload());
    return request.control_ref().empty() || ev.seq() == 2 || ev.seq() == 4;
  };
  ExportRequest request;
  request.control = "ismap:8.2";
  ASSERT_EQ(Export(request), 0) << err_;
  EXPECT_TRUE(Says("wrote 3 record(s) of 1 agent(s)")) << out_;
  EXPECT_TRUE(Says("agent " + agent_ + ": seq 2-4\n")) << out_;
  EXPECT_EQ(Verify(), 0) << out_;
}

TEST_F(BundleCommandsTest, AHoleTheStoreHoldsIsExportedAndSaid) {
  std::vector<v1::StoredEvidence> served = chain_;
  served.erase(served.begin() + 1);
  audit_.SetRecords(served);
  ASSERT_EQ(Export(), 0) << err_;
  EXPECT_NE(err_.find("agent " + agent_ + " seq 2: not listed by the store"), std::string::npos)
      << err_;
  EXPECT_EQ(Verify(), 1) << out_;
  EXPECT_TRUE(Says("seq 2: missing-record")) << out_;
}

TEST_F(BundleCommandsTest, NoCheckpointYetWritesNothing) {
  testing::FakeLog empty;
  testing::FakeStore store({&audit_, &empty});
  ExportRequest request;
  request.connection.store = store.address();
  request.format = "bundle";
  request.output = bundle_;
  std::ostringstream out, err;
  EXPECT_EQ(RunExport(request, out, err), 2);
  EXPECT_NE(err.str().find("no checkpoint"), std::string::npos) << err.str();
  EXPECT_EQ(shoko::testing::ReadFileOrEmpty(bundle_), "");
}

}  // namespace
}  // namespace shoko::cli
