// Bundles: strict decoding that names the JSON path, and offline verification
// that names each problem with agent and seq — what an auditor relies on when
// a bundle was tampered with.
#include "evidence/bundle.h"

#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "evidence/encoding.h"
#include "tests/evidence/test_log.h"
#include "tests/fuzz/proof_input.h"

namespace shoko::evidence {
namespace {

using testing::TestLog;

// "problem agent-prefix seq" for each finding, to compare in one line.
std::vector<std::string> Summary(const BundleReport& report) {
  std::vector<std::string> out;
  for (const Finding& f : report.findings) {
    out.push_back(std::string(ProblemName(f.problem)) +
                  (f.agent_id.empty() ? "" : " " + f.agent_id.substr(0, 4)) +
                  (f.seq ? " " + std::to_string(*f.seq) : ""));
  }
  return out;
}

std::string Details(const BundleReport& report) {
  std::string out;
  for (const Finding& f : report.findings) out += DescribeFinding(f) + "\n";
  return out;
}

// Two agents, interleaved, one of them rotating its key at seq 3.
class BundleTest : public ::testing::Test {
 protected:
  BundleReport Verify(const Bundle& bundle, size_t witnesses = 0,
                      std::optional<std::string> previous = std::nullopt) {
    BundleVerifyOptions options{log_.verifier()};
    options.witnesses = witnesses;
    options.previous = std::move(previous);
    return VerifyBundle(bundle, options);
  }
  std::string A(std::string problem, uint64_t seq) {
    return problem + " " + log_.agent_id(a_).substr(0, 4) + " " + std::to_string(seq);
  }

  testing::StandardLog standard_;
  TestLog& log_ = standard_.log;
  const size_t a_ = standard_.a, b_ = standard_.b;
};

TEST_F(BundleTest, ARoundTripVerifiesClean) {
  Bundle bundle = log_.MakeBundle({a_, b_});
  const std::string json = EncodeBundle(bundle);
  auto decoded = DecodeBundle(json);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(EncodeBundle(*decoded), json);
  BundleReport report = Verify(*decoded);
  EXPECT_TRUE(report.ok()) << Details(report);
  EXPECT_EQ(report.records, 8u);
  EXPECT_EQ(report.valid_records, 8u);
  EXPECT_EQ(report.agents, 2u);
  ASSERT_TRUE(report.checkpoint);
  EXPECT_EQ(report.checkpoint->tree_size, 8u);
  EXPECT_EQ(nlohmann::json::parse(json)["format"], "shoko-bundle/v1");
}

TEST_F(BundleTest, AFlippedByteInARecordIsNamed) {
  Bundle bundle = log_.MakeBundle({a_, b_});
  std::string payload = bundle.records[3].envelope.payload();  // b's seq 2
  payload[payload.find("test.check")] = 'T';
  bundle.records[3].envelope.set_payload(payload);
  BundleReport report = Verify(bundle);
  const std::string b = log_.agent_id(b_).substr(0, 4);
  EXPECT_EQ(Summary(report),
            (std::vector<std::string>{"bad-signature " + b + " 2", "bad-proof " + b + " 2"}))
      << Details(report);
  EXPECT_EQ(report.findings[0].detail.rfind("records[3]", 0), 0u) << report.findings[0].detail;
  EXPECT_EQ(report.valid_records, 7u);
  // A byte flipped where the payload no longer parses: still named, by place.
  payload[2] ^= 0x7f;
  bundle.records[3].envelope.set_payload(payload);
  report = Verify(bundle);
  EXPECT_FALSE(report.ok());
  EXPECT_NE(Details(report).find("records[3]"), std::string::npos) << Details(report);
}

TEST_F(BundleTest, ARemovedRecordIsMissingFromTheStatedRange) {
  Bundle bundle = log_.MakeBundle({a_, b_});
  bundle.records.erase(bundle.records.begin() + 2);  // a's seq 2
  BundleReport report = Verify(bundle);
  EXPECT_EQ(Summary(report), std::vector<std::string>{A("missing-record", 2)}) << Details(report);
  EXPECT_NE(report.findings[0].detail.find("seq 2 missing from the stated range 1-4"),
            std::string::npos);
}

TEST_F(BundleTest, ARangeThatClaimsMoreThanTheBundleHoldsFails) {
  Bundle bundle = log_.MakeBundle({a_, b_});
  bundle.agents[0].last_seq = 6;
  BundleReport report = Verify(bundle);
  EXPECT_EQ(Summary(report), std::vector<std::string>{A("missing-record", 5)}) << Details(report);
  EXPECT_NE(report.findings[0].detail.find("seq 5-6 missing"), std::string::npos);
}

TEST_F(BundleTest, ABrokenProofIsBadProof) {
  Bundle bundle = log_.MakeBundle({a_, b_});
  bundle.records[0].inclusion_proof.pop_back();     // truncated
  bundle.records[5].inclusion_proof[1][0] ^= 0x40;  // a flipped bit
  bundle.records[6].leaf_index = 7;                 // another leaf's place
  BundleReport report = Verify(bundle);
  const std::string b = log_.agent_id(b_).substr(0, 4);
  EXPECT_EQ(Summary(report), (std::vector<std::string>{A("bad-proof", 1), "bad-proof " + b + " 3",
                                                       A("bad-proof", 4)}))
      << Details(report);
  EXPECT_NE(report.findings[0].detail.find("has 2 hash(es) where 3 are needed"), std::string::npos)
      << report.findings[0].detail;
}

TEST_F(BundleTest, AProofForAnotherTreeSizeFails) {
  Bundle bundle = log_.MakeBundle({a_, b_});
  log_.Append(b_);  // the log grows; the bundle's proofs are for 8 leaves
  bundle.checkpoint = log_.Checkpoint();
  bundle.agents = log_.MakeBundle({a_, b_}).agents;
  bundle.records.push_back(log_.MakeBundle({b_}).records.back());
  BundleReport report = Verify(bundle);
  EXPECT_EQ(report.findings.size(), 8u) << Details(report);
  for (const Finding& f : report.findings) EXPECT_EQ(f.problem, Problem::kBadProof);
}

TEST_F(BundleTest, ACheckpointByAnotherKeyOrOriginFails) {
  Bundle bundle = log_.MakeBundle({a_, b_});
  // The same name, another key.
  BundleVerifyOptions options{
      NoteVerifier(log_.origin(), NoteKeyType::kEd25519, testing::SeededKey(0x11).public_key())};
  BundleReport report = VerifyBundle(bundle, options);
  EXPECT_EQ(Summary(report), std::vector<std::string>{"bad-checkpoint"}) << Details(report);
  EXPECT_NE(report.findings[0].detail.find("not signed by the log key"), std::string::npos);

  BundleVerifyOptions elsewhere{log_.verifier()};
  elsewhere.origin = "log.shoko.test/elsewhere";
  report = VerifyBundle(bundle, elsewhere);
  EXPECT_EQ(Summary(report), std::vector<std::string>{"bad-checkpoint"}) << Details(report);
  EXPECT_NE(report.findings[0].detail.find("origin"), std::string::npos);

  bundle.checkpoint = bundle.checkpoint.substr(0, bundle.checkpoint.size() - 5) + "\n";
  report = Verify(bundle);
  EXPECT_EQ(Summary(report), std::vector<std::string>{"bad-checkpoint"}) << Details(report);
}

TEST_F(BundleTest, ConsistencyWithAnEarlierCheckpoint) {
  const std::string earlier = log_.Checkpoint(5);
  Bundle bundle = log_.MakeBundle({a_, b_});
  // Without a proof from size 5 in the bundle: a named failure.
  BundleReport report = Verify(bundle, 0, earlier);
  EXPECT_EQ(Summary(report), std::vector<std::string>{"inconsistent-checkpoint"});
  EXPECT_NE(report.findings[0].detail.find("no consistency proof from size 5"), std::string::npos);
  bundle.consistency.push_back(BundleConsistency{5, log_.ConsistencyProof(5)});
  report = Verify(bundle, 0, earlier);
  EXPECT_TRUE(report.ok()) << Details(report);
  // The same size, the same root; an empty earlier tree.
  EXPECT_TRUE(Verify(bundle, 0, log_.Checkpoint()).ok());
  EXPECT_TRUE(Verify(bundle, 0, log_.Checkpoint(0)).ok());
  // A garbled proof; an earlier checkpoint that is not the log's.
  bundle.consistency[0].proof[0][3] ^= 0x01;
  EXPECT_EQ(Summary(Verify(bundle, 0, earlier)),
            std::vector<std::string>{"inconsistent-checkpoint"});
  EXPECT_EQ(Summary(Verify(bundle, 0, "not a checkpoint\n")),
            std::vector<std::string>{"bad-checkpoint"});
}

TEST_F(BundleTest, ACheckpointFromAForkedLogIsInconsistent) {
  // A log that signs with the same key but holds other leaves from leaf 3 on.
  TestLog fork;
  size_t a = fork.AddAgent(0x21), b = fork.AddAgent(0x22);
  fork.Append(a);
  fork.Append(b);
  fork.Append(a);
  fork.Append(a);  // where the real log has b's seq 2
  Bundle bundle = log_.MakeBundle({a_, b_});
  bundle.consistency.push_back(BundleConsistency{4, log_.ConsistencyProof(4)});
  BundleReport report = Verify(bundle, 0, fork.Checkpoint());
  EXPECT_EQ(Summary(report), std::vector<std::string>{"inconsistent-checkpoint"})
      << Details(report);
  // The forked log's own bundle against the real log's earlier checkpoint.
  fork.Append(b);
  Bundle forked = fork.MakeBundle({a, b});
  forked.consistency.push_back(BundleConsistency{4, fork.ConsistencyProof(4)});
  EXPECT_EQ(Summary(Verify(forked, 0, log_.Checkpoint(4))),
            std::vector<std::string>{"inconsistent-checkpoint"});
  // Same size, other root.
  EXPECT_EQ(Summary(Verify(log_.MakeBundle({a_}), 0,
                           [&] {
                             TestLog wider;
                             size_t w = wider.AddAgent(0x24);
                             for (int i = 0; i < 8; ++i) wider.Append(w);
                             return wider.Checkpoint();
                           }())),
            std::vector<std::string>{"inconsistent-checkpoint"});
}

TEST_F(BundleTest, WitnessesAreTheBundlesAgentsCosigning) {
  Bundle bundle = log_.MakeBundle({a_, b_});
  const std::string a_line = log_.Cosignature(a_, bundle.checkpoint);
  const std::string b_line = log_.Cosignature(b_, bundle.checkpoint);
  bundle.checkpoint = *AddSignatureLines(bundle.checkpoint, {a_line, b_line});
  BundleReport report = Verify(bundle, 2);
  EXPECT_TRUE(report.ok()) << Details(report);
  EXPECT_EQ(report.witnesses, 2u);
  report = Verify(bundle, 3);
  EXPECT_EQ(Summary(report), std::vector<std::string>{"too-few-witnesses"});
  EXPECT_NE(report.findings[0].detail.find("2 valid cosignature(s)"), std::string::npos);
  // A bundle of agent b alone: a's cosignature does not count for it.
  Bundle only_b = log_.MakeBundle({b_});
  only_b.checkpoint = bundle.checkpoint;
  EXPECT_EQ(Verify(only_b, 1).witnesses, 1u);
  EXPECT_EQ(Summary(Verify(only_b, 2)), std::vector<std::string>{"too-few-witnesses"});
}

TEST_F(BundleTest, ACosignatureOfAnotherCheckpointIsRefused) {
  Bundle bundle = log_.MakeBundle({a_, b_});
  // b cosigned what it was shown: a checkpoint of another log state.
  const std::string other = log_.Checkpoint(7);
  bundle.checkpoint =
      *AddSignatureLines(bundle.checkpoint, {log_.Cosignature(b_, bundle.checkpoint)});
  std::string forged = log_.Cosignature(a_, other);
  bundle.checkpoint = *AddSignatureLines(bundle.checkpoint, {forged});
  BundleReport report = Verify(bundle, 2);
  EXPECT_EQ(Summary(report),
            (std::vector<std::string>{"bad-checkpoint " + log_.agent_id(a_).substr(0, 4),
                                      "too-few-witnesses"}))
      << Details(report);
  EXPECT_EQ(report.witnesses, 1u);
}

TEST_F(BundleTest, AnAgentCosignsWithItsCurrentKeyOnly) {
  Bundle bundle = log_.MakeBundle({a_});
  // a's first key (rotated out at seq 3) cosigning counts for nothing.
  const std::string body = ParseNote(bundle.checkpoint)->body;
  auto old_line =
      Cosign(body, AgentCosignerName(log_.agent_id(a_)), testing::SeededKey(0x21), 1700000500);
  bundle.checkpoint = *AddSignatureLines(bundle.checkpoint, {*old_line});
  BundleReport report = Verify(bundle, 1);
  EXPECT_EQ(Summary(report), std::vector<std::string>{"too-few-witnesses"}) << Details(report);
}

TEST_F(BundleTest, ARotationOutsideTheRangeComesWithTheAgent) {
  // Only a's seqs 4 (after the rotation at 3) are stated and carried.
  Bundle bundle = log_.MakeBundle({a_});
  bundle.records.erase(bundle.records.begin(), bundle.records.begin() + 3);
  bundle.agents[0].first_seq = 4;
  BundleReport report = Verify(bundle);
  EXPECT_TRUE(report.ok()) << Details(report);
  // Without the rotation record, seq 4 is a jump to an unannounced key.
  bundle.agents[0].rotations.clear();
  report = Verify(bundle);
  EXPECT_EQ(Summary(report), std::vector<std::string>{A("missing-rotation", 4)}) << Details(report);
  EXPECT_NE(report.findings[0].detail.find("a key-rotation record is missing"), std::string::npos);
  EXPECT_NE(report.findings[0].detail.find("a key-rotation record is missing at seq 3"),
            std::string::npos)
      << report.findings[0].detail;
  // Listed keys must be the keys the rotations hand over.
  bundle = log_.MakeBundle({a_});
  bundle.agents[0].keys[1].from_seq = 3;
  EXPECT_EQ(Summary(Verify(bundle)), std::vector<std::string>{A("malformed", 3)});
  bundle.agents[0].keys.erase(bundle.agents[0].keys.begin());
  EXPECT_EQ(Summary(Verify(bundle))[0], "unknown-key " + log_.agent_id(a_).substr(0, 4));
}

TEST_F(BundleTest, RecordsOfAnUnlistedAgentAreUntrusted) {
  Bundle bundle = log_.MakeBundle({a_, b_});
  bundle.agents.pop_back();
  BundleReport report = Verify(bundle);
  ASSERT_EQ(report.findings.size(), 4u) << Details(report);
  for (const Finding& f : report.findings) EXPECT_EQ(f.problem, Problem::kUnknownKey);
}

TEST_F(BundleTest, ACheckpointOfAForkedLogOfTheSameSizeFailsEveryProof) {
  // The same log key, the same size, other leaves: a split view. Each record's
  // proof leads to the real root, not the fork's.
  TestLog fork;
  size_t w = fork.AddAgent(0x24);
  for (int i = 0; i < 8; ++i) fork.Append(w);
  Bundle bundle = log_.MakeBundle({a_, b_});
  bundle.checkpoint = fork.Checkpoint();
  BundleReport report = Verify(bundle);
  ASSERT_EQ(report.findings.size(), 8u) << Details(report);
  for (const Finding& f : report.findings) EXPECT_EQ(f.problem, Problem::kBadProof);
  EXPECT_EQ(report.valid_records, 0u);
  // With the real checkpoint of that size kept: also two roots for one size.
  report = Verify(bundle, 0, log_.Checkpoint());
  EXPECT_EQ(Summary(report).back(), "inconsistent-checkpoint") << Details(report);
  EXPECT_NE(report.findings.back().detail.find("two roots for one size: a fork"),
            std::string::npos);
}

TEST_F(BundleTest, AnEarlierCheckpointLargerThanTheBundlesIsInconsistent) {
  Bundle bundle = log_.MakeBundle({a_, b_});
  log_.Append(a_);
  BundleReport report = Verify(bundle, 0, log_.Checkpoint());
  EXPECT_EQ(Summary(report), std::vector<std::string>{"inconsistent-checkpoint"});
  EXPECT_NE(report.findings[0].detail.find("the previous one is larger"), std::string::npos);
}

TEST_F(BundleTest, ARecordOutsideTheStatedRangeIsNamed) {
  // A bundle states what it holds: a record beyond the range is not a record
  // the range vouches for, so a range that says less than the records fails.
  Bundle bundle = log_.MakeBundle({a_, b_});
  bundle.agents[0].last_seq = 3;
  BundleReport report = Verify(bundle);
  EXPECT_EQ(Summary(report), std::vector<std::string>{A("malformed", 4)}) << Details(report);
  EXPECT_EQ(report.findings[0].detail, "records[6]: seq 4 is outside the stated range 1-3");
  EXPECT_EQ(report.valid_records, 7u);
  bundle.agents[0].first_seq = 2;
  EXPECT_EQ(Summary(Verify(bundle)),
            (std::vector<std::string>{A("malformed", 1), A("malformed", 4)}));
}

TEST_F(BundleTest, AKeyHandedOverButNotListedIsNamed) {
  Bundle bundle = log_.MakeBundle({a_});
  bundle.agents[0].keys.pop_back();  // the key seq 3 hands over
  BundleReport report = Verify(bundle);
  EXPECT_EQ(Summary(report), std::vector<std::string>{A("malformed", 4)}) << Details(report);
  EXPECT_NE(report.findings[0].detail.find("handed over from seq 4, is not listed"),
            std::string::npos)
      << report.findings[0].detail;
}

TEST_F(BundleTest, KWitnessesOfTheBundlesAgents) {
  // A third agent, c, cosigns too, but its records are not in the bundle.
  const size_t c = log_.AddAgent(0x25);
  log_.Append(c);
  Bundle bundle = log_.MakeBundle({a_, b_});
  const std::string a_line = log_.Cosignature(a_, bundle.checkpoint);
  const std::string b_line = log_.Cosignature(b_, bundle.checkpoint);
  const std::string c_line = log_.Cosignature(c, bundle.checkpoint);
  const std::string unsigned_note = bundle.checkpoint;
  // K = 2 with two valid cosignatures of the bundle's agents: passes.
  bundle.checkpoint = *AddSignatureLines(unsigned_note, {a_line, b_line, c_line});
  BundleReport report = Verify(bundle, 2);
  EXPECT_TRUE(report.ok()) << Details(report);
  EXPECT_EQ(report.witnesses, 2u);
  // K - 1 of them, c's not counted: fails, saying how many there were.
  bundle.checkpoint = *AddSignatureLines(unsigned_note, {a_line, c_line});
  report = Verify(bundle, 2);
  EXPECT_EQ(Summary(report), std::vector<std::string>{"too-few-witnesses"}) << Details(report);
  EXPECT_EQ(report.witnesses, 1u);
  EXPECT_EQ(report.findings[0].detail,
            "1 valid cosignature(s) of the checkpoint by the bundle's agents, 2 required");
  // One agent cosigning twice is one witness.
  bundle.checkpoint =
      *AddSignatureLines(unsigned_note, {a_line, log_.Cosignature(a_, unsigned_note, 1700000600)});
  EXPECT_EQ(Verify(bundle, 2).witnesses, 1u);
}

// Every byte of an encoded bundle flipped in turn: the decoder refuses it,
// the verifier names a problem, or it is the same bundle (a byte no reader
// sees). No flip yields another bundle that verifies clean. The bundle (one
// agent, with its key rotation) has no "consistency" (checked only against a
// kept checkpoint) and its cosignature is required (note lines by unknown
// keys are otherwise ignored).
TEST_F(BundleTest, NoFlippedByteMakesAnotherBundleThatVerifies) {
  Bundle bundle = log_.MakeBundle({a_});
  bundle.checkpoint =
      *AddSignatureLines(bundle.checkpoint, {log_.Cosignature(a_, bundle.checkpoint)});
  const std::string json = EncodeBundle(bundle);
  ASSERT_TRUE(Verify(*DecodeBundle(json), 1).ok());
  // Flipped payloads make protobuf complain of bad UTF-8 on stderr; quietly.
  google::protobuf::LogHandler* log_handler = google::protobuf::SetLogHandler(nullptr);
  size_t refused = 0, named = 0, same = 0;
  for (size_t i = 0; i + 1 < json.size(); ++i) {  // the final newline is not the document
    std::string flipped = json;
    flipped[i] ^= 0x01;
    auto decoded = DecodeBundle(flipped);
    if (!decoded.ok()) {
      ++refused;
    } else if (!Verify(*decoded, 1).ok()) {
      ++named;
    } else {
      EXPECT_TRUE(EncodeBundle(*decoded) == json)
          << "byte " << i << " flipped verifies clean: ..."
          << flipped.substr(i < 40 ? 0 : i - 40, 80) << "...";
      ++same;
    }
  }
  google::protobuf::SetLogHandler(log_handler);
  EXPECT_GT(refused, 0u);
  EXPECT_GT(named, json.size() / 2) << refused << " refused, " << same << " the same";
}

// transparency-dev's consistency vectors (../shared/vectors/merkle) through a
// bundle: the bundle's checkpoint and the auditor's earlier one are signed
// over the vector's sizes and roots, the proof is the bundle's "consistency".
TEST_F(BundleTest, ConsistencyVectorsThroughABundle) {
  const std::filesystem::path dir =
      std::filesystem::path(SHOKO_SHARED_VECTORS_DIR) / "merkle" / "consistency";
  if (!std::filesystem::is_directory(dir)) {
    GTEST_SKIP() << "no public Merkle vectors at " << dir.string()
                 << " (../shared/vectors beside the project)";
  }
  size_t good = 0, bad = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    const nlohmann::json v = nlohmann::json::parse(in);
    const uint64_t size1 = v["size1"], size2 = v["size2"];
    auto root1 = Base64Decode(v["root1"].get<std::string>());
    auto root2 = Base64Decode(v["root2"].get<std::string>());
    // A checkpoint holds a 32-byte root; equal or empty sizes need no proof
    // in a bundle (merkle_test holds those vectors to VerifyConsistency).
    if (size1 == 0 || size1 == size2 || root1->size() != 32 || root2->size() != 32) continue;
    SCOPED_TRACE(entry.path().string());
    Bundle bundle;
    bundle.checkpoint = log_.SignedCheckpoint(size2, *root2);
    BundleConsistency consistency{size1, {}};
    for (const auto& h : v["proof"])
      consistency.proof.push_back(*Base64Decode(h.get<std::string>()));
    bundle.consistency.push_back(std::move(consistency));
    BundleReport report = Verify(bundle, 0, log_.SignedCheckpoint(size1, *root1));
    if (v["wantErr"].get<bool>()) {
      EXPECT_EQ(Summary(report), std::vector<std::string>{"inconsistent-checkpoint"}) << v["desc"];
      ++bad;
    } else {
      EXPECT_TRUE(report.ok()) << v["desc"] << ": " << Details(report);
      ++good;
    }
  }
  EXPECT_GE(good, 3u);
  EXPECT_GE(bad, 50u);
}

TEST_F(BundleTest, MakeBundleAgentListsTheKeysTheRotationsHandOver) {
  // A second rotation for agent a, at its seq 6.
  log_.Append(a_);
  log_.Append(a_, 0x26);
  log_.Append(a_);
  const Bundle whole = log_.MakeBundle({a_});
  std::vector<v1::Envelope> rotations = whole.agents[0].rotations;
  ASSERT_EQ(rotations.size(), 2u);
  std::swap(rotations[0], rotations[1]);  // any order
  const PublicKey first = testing::SeededKey(0x21).public_key();
  auto agent = MakeBundleAgent(first, rotations, {5, 7});
  ASSERT_TRUE(agent.ok()) << agent.status().ToString();
  EXPECT_EQ(agent->agent_id, log_.agent_id(a_));
  ASSERT_EQ(agent->keys.size(), 3u);
  EXPECT_EQ(agent->keys[0].key_id, log_.agent_id(a_));
  EXPECT_EQ(agent->keys[0].from_seq, 1u);
  EXPECT_EQ(agent->keys[1].key_id, testing::SeededKey(0x23).public_key().KeyId());
  EXPECT_EQ(agent->keys[1].from_seq, 4u);
  EXPECT_EQ(agent->keys[2].key_id, testing::SeededKey(0x26).public_key().KeyId());
  EXPECT_EQ(agent->keys[2].from_seq, 7u);
  EXPECT_EQ(agent->rotations[0].SerializeAsString(),
            whole.agents[0].rotations[0].SerializeAsString());
  // The range 5-7 with its records (seq 5 to 7) verifies, rotations and all.
  Bundle bundle = whole;
  bundle.agents = {*agent};
  bundle.records.erase(bundle.records.begin(), bundle.records.begin() + 4);
  EXPECT_TRUE(Verify(bundle).ok()) << Details(Verify(bundle));
  // What is not one of this agent's rotation records, or no range, is refused.
  EXPECT_EQ(MakeBundleAgent(first, {whole.records[0].envelope}, {1, 7}).status().message(),
            "rotations[0] is not a key-rotation record of agent " + log_.agent_id(a_));
  EXPECT_FALSE(MakeBundleAgent(testing::SeededKey(0x22).public_key(), rotations, {1, 7}).ok());
  EXPECT_FALSE(MakeBundleAgent(first, rotations, {0, 7}).ok());
  EXPECT_FALSE(MakeBundleAgent(first, rotations, {7, 6}).ok());
}

// ---- Strict decoding ------------------------------------------------------

class BundleDecodeTest : public BundleTest {
 protected:
  // The bundle's JSON, changed by `edit`, decoded: the error message.
  std::string Refusal(const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json json = nlohmann::json::parse(EncodeBundle(log_.MakeBundle({a_, b_})));
    edit(json);
    auto decoded = DecodeBundle(json.dump());
    EXPECT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.status().code(), Status::Code::kInvalidArgument);
    return decoded.status().message();
  }
};

TEST_F(BundleDecodeTest, ErrorsNameTheJsonPath) {
  using J = nlohmann::json;
  EXPECT_EQ(Refusal([](J& j) { j["records"][3]["inclusion_proof"][2] = "AAAA"; }),
            "records[3].inclusion_proof[2]: not 32 bytes of base64");
  EXPECT_EQ(Refusal([](J& j) { j["records"][1]["inclusion_proof"][0] = 7; }),
            "records[1].inclusion_proof[0]: not 32 bytes of base64");
  EXPECT_EQ(Refusal([](J& j) { j["format"] = "shoko-bundle/v2"; }),
            "format: 'shoko-bundle/v2' is not shoko-bundle/v1");
  EXPECT_EQ(Refusal([](J& j) { j.erase("checkpoint"); }), "bundle: missing 'checkpoint'");
  EXPECT_EQ(Refusal([](J& j) { j["extra"] = 1; }), "bundle: unknown key 'extra'");
  EXPECT_EQ(Refusal([](J& j) { j["records"][0]["leaf_index"] = -1; }),
            "records[0].leaf_index: not a non-negative integer");
  EXPECT_EQ(Refusal([](J& j) { j["records"][0]["leaf_index"] = 1.5; }),
            "records[0].leaf_index: not a non-negative integer");
  EXPECT_EQ(Refusal([](J& j) { j["records"][0]["received_at_us"] = "now"; }),
            "records[0].received_at_us: not an integer");
  EXPECT_EQ(Refusal([](J& j) { j["records"][0]["received_at_us"] = 18446744073709551615u; }),
            "records[0].received_at_us: out of range");
  EXPECT_EQ(Refusal([](J& j) { j["records"][2]["envelope"].erase("payload"); }),
            "records[2].envelope: missing string field 'payload'");
  EXPECT_EQ(Refusal([](J& j) { j["records"][2]["note"] = 1; }), "records[2]: unknown key 'note'");
  EXPECT_EQ(Refusal([](J& j) { j["agents"][1]["agent_id"] = std::string(64, 'A'); }),
            "agents[1].agent_id: not 64 lowercase hex digits");
  EXPECT_EQ(Refusal([](J& j) { j["agents"][1]["agent_id"] = j["agents"][0]["agent_id"]; }),
            "agents[1].agent_id: agent listed twice");
  EXPECT_EQ(Refusal([](J& j) { j["agents"][0]["keys"][1]["key_id"] = std::string(64, 'a'); }),
            "agents[0].keys[1].key_id: not the SHA-256 of public_key");
  EXPECT_EQ(Refusal([](J& j) { j["agents"][0]["keys"][0]["public_key"] = "AAAA"; }),
            "agents[0].keys[0].public_key: not an Ed25519 public key (32 bytes of base64)");
  EXPECT_EQ(Refusal([](J& j) { j["agents"][0]["keys"] = J::array(); }),
            "agents[0].keys: not a non-empty array");
  EXPECT_EQ(Refusal([](J& j) { j["agents"][0]["first_seq"] = 0; }),
            "agents[0].first_seq: seqs start at 1");
  EXPECT_EQ(Refusal([](J& j) { j["agents"][0]["last_seq"] = 0; }),
            "agents[0].last_seq: below first_seq");
  EXPECT_EQ(Refusal([](J& j) { j["agents"][0]["rotations"][0] = "x"; }),
            "agents[0].rotations[0]: DSSE envelope must be a JSON object");
  EXPECT_EQ(Refusal([](J& j) {
              j["consistency"] = J::array({{{"from_size", 2}, {"proof", J::array({"x"})}}});
            }),
            "consistency[0].proof[0]: not 32 bytes of base64");
  EXPECT_EQ(Refusal([](J& j) { j = J::array(); }), "bundle is not a JSON object");
}

TEST_F(BundleDecodeTest, RepeatedKeysAndNonJsonAreRefused) {
  std::string json = EncodeBundle(log_.MakeBundle({a_}));
  json.insert(1, "\"format\":\"shoko-bundle/v1\",");
  auto repeated = DecodeBundle(json);
  ASSERT_FALSE(repeated.ok());
  EXPECT_EQ(repeated.status().message(), "bundle repeats the key 'format' in one object");
  EXPECT_EQ(DecodeBundle("{").status().message(), "bundle is not valid JSON");
  EXPECT_EQ(DecodeBundle("").status().message(), "bundle is not valid JSON");
  // Padding-free or URL-safe base64 is not the one form a hash is written in.
  nlohmann::json j = nlohmann::json::parse(EncodeBundle(log_.MakeBundle({a_})));
  std::string hash = j["records"][0]["inclusion_proof"][0];
  hash.pop_back();
  j["records"][0]["inclusion_proof"][0] = hash;
  EXPECT_FALSE(DecodeBundle(j.dump()).ok());
}

// ---- The fuzz seeds ---------------------------------------------------------

// The seeds of the bundle, checkpoint and proof fuzz targets, made from the
// standard log the targets verify against: a bundle that passes every check
// (cosigned, with a consistency proof from the earlier checkpoint), one that
// starts after a key rotation, checkpoints, the log's verifier key, and an
// inclusion and a consistency proof in tests/fuzz/proof_input.h's form.
std::map<std::string, std::string> FuzzSeeds() {
  testing::StandardLog standard;
  const TestLog& log = standard.log;
  const uint64_t earlier = testing::StandardLog::kEarlierSize;
  auto cosigned = [&](Bundle bundle, const std::vector<size_t>& agents) {
    std::vector<std::string> lines;
    for (size_t a : agents) lines.push_back(standard.log.Cosignature(a, bundle.checkpoint));
    bundle.checkpoint = *AddSignatureLines(bundle.checkpoint, lines);
    bundle.consistency.push_back(BundleConsistency{earlier, log.ConsistencyProof(earlier)});
    return bundle;
  };
  const Bundle both = cosigned(log.MakeBundle({standard.a, standard.b}), {standard.a, standard.b});
  Bundle after_rotation = cosigned(log.MakeBundle({standard.a}), {standard.a});
  after_rotation.records.erase(after_rotation.records.begin(), after_rotation.records.begin() + 3);
  after_rotation.agents[0].first_seq = 4;
  const uint64_t size = log.size();
  fuzz::ProofInput inclusion{false,          3,
                             size,           *log.Nodes()(0, 3),
                             log.Root(size), *merkle::InclusionProof(3, size, log.Nodes())};
  fuzz::ProofInput consistency{
      true, earlier, size, log.Root(earlier), log.Root(size), log.ConsistencyProof(earlier)};
  return {{"bundle.json", EncodeBundle(both)},
          {"bundle-after-rotation.json", EncodeBundle(after_rotation)},
          {"checkpoint.note", both.checkpoint},
          {"checkpoint-" + std::to_string(earlier) + ".note", log.Checkpoint(earlier)},
          {"log.vkey", log.verifier().ToString() + "\n"},
          {"inclusion-3-of-8.proof", fuzz::WriteProofInput(inclusion)},
          {"consistency-5-to-8.proof", fuzz::WriteProofInput(consistency)}};
}

TEST(FuzzSeedsTest, AreTheStandardLogs) {
  const std::filesystem::path dir = std::filesystem::path(SHOKO_FIXTURES_DIR) / "evidence-log";
  const bool write = std::getenv("SHOKO_WRITE_FUZZ_SEEDS") != nullptr;
  for (const auto& [name, content] : FuzzSeeds()) {
    SCOPED_TRACE(name);
    if (write) std::ofstream(dir / name, std::ios::binary) << content;
    std::ifstream in(dir / name, std::ios::binary);
    std::stringstream held;
    held << in.rdbuf();
    EXPECT_TRUE(held.str() == content)
        << (dir / name).string() << " is not what the standard log makes; rewrite the seeds "
        << "with SHOKO_WRITE_FUZZ_SEEDS=1 build/dev/tests/shoko_unit_tests "
           "--gtest_filter=FuzzSeedsTest.*";
  }
  // The seed bundles pass every check the bundle fuzz target makes.
  testing::StandardLog standard;
  BundleVerifyOptions options{standard.log.verifier()};
  options.previous = standard.log.Checkpoint(testing::StandardLog::kEarlierSize);
  options.witnesses = 1;
  for (const char* name : {"bundle.json", "bundle-after-rotation.json"}) {
    BundleReport report = VerifyBundle(*DecodeBundle(FuzzSeeds().at(name)), options);
    EXPECT_TRUE(report.ok()) << name << ": " << Details(report);
  }
}

}  // namespace
}  // namespace shoko::evidence
