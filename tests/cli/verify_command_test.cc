// Tamper tests: every way of changing a DSSE JSON-lines file is caught by
// `shokoctl verify` with the right reason.
#include "cli/verify_command.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <fstream>
#include <sstream>

#include "agent/recorder.h"
#include "evidence/encoding.h"
#include "evidence/envelope.h"
#include "evidence/rotation.h"
#include "tests/support/temp_dir.h"

namespace shoko::cli {
namespace {

using testing::TempDir;

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent::RecordContext context;
    context.agent_id = key_.public_key().KeyId();
    context.host.hostname = "h";
    agent::ChainSigner signer(context.agent_id, {});
    for (int i = 0; i < 5; ++i) {
      auto record = signer.Sign(
          agent::BuildLifecycle(context, "test", {{"i", i}}, 1'700'000'000'000'000 + i), key_);
      ASSERT_TRUE(record.ok());
      v1::Envelope env;
      env.ParseFromString(record->envelope);
      lines_.push_back(evidence::ToDsseJson(env));
    }
    key_file_ = dir_.Write("agent.pub", key_.public_key().ToPem());
  }

  // Runs verify on `lines`; returns the exit code, with the output in out_.
  int Verify(const std::vector<std::string>& lines) {
    std::string text;
    for (const std::string& l : lines) text += l + "\n";
    std::string file = dir_.Write("records.jsonl", text);
    std::ostringstream out, err;
    int code = RunVerify({key_file_}, {file}, out, err);
    out_ = out.str();
    err_ = err.str();
    return code;
  }

  // The problem lines of the last run, without the file name.
  std::vector<std::string> Problems() {
    std::vector<std::string> problems;
    std::istringstream in(out_);
    std::string line;
    while (std::getline(in, line)) {
      size_t at = line.find(": line ");
      if (at != std::string::npos) problems.push_back(line.substr(at + 2));
    }
    return problems;
  }

  // A line with its payload (or signature) bytes changed by `change`.
  std::string Altered(size_t index, bool signature, size_t byte, unsigned char mask) {
    auto env = evidence::FromDsseJson(lines_[index]);
    std::string& bytes =
        signature ? *env->mutable_signatures(0)->mutable_sig() : *env->mutable_payload();
    bytes[byte] = static_cast<char>(static_cast<unsigned char>(bytes[byte]) ^ mask);
    return evidence::ToDsseJson(*env);
  }

  TempDir dir_;
  evidence::SigningKey key_ = *evidence::SigningKey::Generate();
  std::string key_file_;
  std::vector<std::string> lines_;
  std::string out_, err_;
};

TEST_F(VerifyTest, AnIntactFileVerifies) {
  EXPECT_EQ(Verify(lines_), 0) << out_ << err_;
  EXPECT_TRUE(Problems().empty());
  EXPECT_NE(out_.find("5 record(s) in 1 file(s) from 1 agent(s): 5 valid, 0 with problems"),
            std::string::npos)
      << out_;
}

TEST_F(VerifyTest, FlippingAnyByteOfPayloadOrSignatureIsABadSignature) {
  auto env = evidence::FromDsseJson(lines_[2]);
  const size_t payload_bytes = env->payload().size();
  const size_t sig_bytes = env->signatures(0).sig().size();
  ASSERT_EQ(sig_bytes, 64u);
  for (bool signature : {false, true}) {
    for (size_t byte = 0; byte < (signature ? sig_bytes : payload_bytes); ++byte) {
      std::vector<std::string> lines = lines_;
      lines[2] = Altered(2, signature, byte, 0x01);
      ASSERT_EQ(Verify(lines), 1) << (signature ? "sig" : "payload") << " byte " << byte;
      auto problems = Problems();
      ASSERT_GE(problems.size(), 1u) << out_;
      EXPECT_EQ(problems[0].rfind("line 3 seq ", 0), 0u) << problems[0];
      EXPECT_NE(problems[0].find(": bad-signature"), std::string::npos) << problems[0];
      // When the altered payload no longer says it is seq 3 of this agent,
      // the hole it leaves is reported too; nothing else is.
      if (problems.size() > 1) {
        ASSERT_EQ(problems.size(), 2u) << out_;
        EXPECT_EQ(problems[1], "line 4 seq 4: gap: seq 3 missing");
      }
    }
  }
}

TEST_F(VerifyTest, DeletedLineIsAGapWithItsRange) {
  std::vector<std::string> lines = lines_;
  lines.erase(lines.begin() + 1, lines.begin() + 3);  // seq 2 and 3
  EXPECT_EQ(Verify(lines), 1);
  EXPECT_EQ(Problems(), (std::vector<std::string>{"line 2 seq 4: gap: seq 2-3 missing"}));
}

TEST_F(VerifyTest, MissingFirstRecordIsAGap) {
  std::vector<std::string> lines(lines_.begin() + 1, lines_.end());
  EXPECT_EQ(Verify(lines), 1);
  EXPECT_EQ(Problems(), (std::vector<std::string>{"line 1 seq 2: gap: seq 1 missing"}));
}

TEST_F(VerifyTest, SwappedLinesAreReordered) {
  std::vector<std::string> lines = lines_;
  std::swap(lines[1], lines[3]);  // 1 4 3 2 5
  EXPECT_EQ(Verify(lines), 1);
  EXPECT_EQ(Problems(), (std::vector<std::string>{"line 3 seq 3: reordered: after seq 4",
                                                  "line 4 seq 2: reordered: after seq 4"}));
}

TEST_F(VerifyTest, DuplicatedLineIsADuplicate) {
  std::vector<std::string> lines = lines_;
  lines.insert(lines.begin() + 3, lines_[1]);
  EXPECT_EQ(Verify(lines), 1);
  EXPECT_EQ(Problems(), (std::vector<std::string>{"line 4 seq 2: duplicate"}));
}

TEST_F(VerifyTest, AnotherSignedRecordAtAHeldSeqIsAFork) {
  agent::RecordContext context;
  context.agent_id = key_.public_key().KeyId();
  agent::ChainSigner signer(context.agent_id, {});
  auto other = signer.Sign(agent::BuildLifecycle(context, "other", {}, 1), key_);
  v1::Envelope env;
  env.ParseFromString(other->envelope);
  std::vector<std::string> lines = lines_;
  lines.push_back(evidence::ToDsseJson(env));  // a second seq 1
  EXPECT_EQ(Verify(lines), 1);
  EXPECT_EQ(
      Problems(),
      (std::vector<std::string>{"line 6 seq 1: fork: another record at this seq was seen before"}));
}

TEST_F(VerifyTest, AValidlySignedRecordWithTheWrongPrevDigestBreaksTheChain) {
  auto env = evidence::FromDsseJson(lines_[3]);
  auto ev = evidence::ParseEvidence(env->payload());
  ev->set_prev_digest(std::string(32, 'x'));
  std::vector<std::string> lines = lines_;
  lines[3] = evidence::ToDsseJson(*evidence::Sign(key_, ev->SerializeAsString()));
  EXPECT_EQ(Verify(lines), 1);
  auto problems = Problems();
  ASSERT_EQ(problems.size(), 2u) << out_;
  EXPECT_EQ(problems[0], "line 4 seq 4: broken-chain: prev_digest is not the digest of seq 3");
  // Re-signing changed record 4's digest, so record 5 no longer links to it.
  EXPECT_EQ(problems[1], "line 5 seq 5: broken-chain: prev_digest is not the digest of seq 4");
}

TEST_F(VerifyTest, ARecordByAnotherKeyIsAnUnknownKey) {
  auto stranger = *evidence::SigningKey::Generate();
  auto env = evidence::FromDsseJson(lines_[4]);
  std::vector<std::string> lines = lines_;
  lines[4] = evidence::ToDsseJson(*evidence::Sign(stranger, env->payload()));
  EXPECT_EQ(Verify(lines), 1);
  auto problems = Problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].rfind("line 5 seq 5: unknown-key: key ", 0), 0u) << problems[0];
}

TEST_F(VerifyTest, GarbageIsMalformed) {
  std::vector<std::string> lines = lines_;
  lines.push_back("{\"payload\": 12}");
  lines.push_back("not json at all");
  EXPECT_EQ(Verify(lines), 1);
  EXPECT_EQ(Problems(),
            (std::vector<std::string>{"line 6 seq ?: malformed: missing string field 'payload'",
                                      "line 7 seq ?: malformed: not valid JSON"}));
}

TEST_F(VerifyTest, UsageErrorsExitTwo) {
  std::ostringstream out, err;
  EXPECT_EQ(RunVerify({}, {dir_.Path("x")}, out, err), 2);
  EXPECT_NE(err.str().find("--key"), std::string::npos);
  EXPECT_EQ(RunVerify({key_file_}, {dir_.Path("missing.jsonl")}, out, err), 2);
  EXPECT_NE(err.str().find("missing.jsonl"), std::string::npos);
  EXPECT_EQ(RunVerify({dir_.Write("bad.pub", "not a key")}, {key_file_}, out, err), 2);
}

TEST_F(VerifyTest, AnEmptyFileIsNoRecords) {
  std::ostringstream out, err;
  const std::string empty = dir_.Write("empty.jsonl", "");
  const std::string blank = dir_.Write("blank.jsonl", "\n  \n");
  EXPECT_EQ(RunVerify({key_file_}, {empty, blank}, out, err), 1) << err.str();
  EXPECT_NE(out.str().find(empty + ": no records\n"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find(blank + ": no records\n"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("0 record(s) in 2 file(s) from 0 agent(s): 0 valid, 0 with problems, "
                           "2 file(s) with no records read"),
            std::string::npos)
      << out.str();
}

TEST_F(VerifyTest, AFileThatIsNotJsonIsOneLineNamingIt) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "plain text, line " + std::to_string(i) + "\n";
  const std::string notes = dir_.Write("notes.txt", text);
  const std::string good = dir_.Write("good.jsonl", lines_[0] + "\n" + lines_[1] + "\n");
  std::ostringstream out, err;
  EXPECT_EQ(RunVerify({key_file_}, {notes, good}, out, err), 1);
  EXPECT_EQ(out.str(), notes +
                           ": not DSSE JSON lines: line 1 is not a JSON object\n"
                           "2 record(s) in 2 file(s) from 1 agent(s): 2 valid, 0 with problems, "
                           "1 file(s) with no records read\n");
}

TEST_F(VerifyTest, ABundleGivenAsDsseLinesSaysHowToVerifyIt) {
  const std::string bundle =
      dir_.Write("export.json", "{\"format\": \"shoko-bundle/v1\", \"records\": []}\n");
  std::ostringstream out, err;
  EXPECT_EQ(RunVerify({key_file_}, {bundle}, out, err), 1);
  EXPECT_NE(out.str().find(bundle + ": a bundle, not DSSE JSON lines: verify it with --log-key"),
            std::string::npos)
      << out.str();
}

// Peak resident memory of this process, in KiB.
long PeakRssKib() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST_F(VerifyTest, ALineOverTheLimitIsRefusedWithoutBeingRead) {
  // A sparse file: its first line is 256 MiB of zero bytes, then the records.
  const std::string path = dir_.Path("huge.jsonl");
  {
    std::ofstream f(path, std::ios::binary);
    f.seekp((std::streamoff{256} << 20) - 1);
    f.put('\0');
    f << "\n" << lines_[0] << "\n" << lines_[1] << "\n";
  }
  const long before = PeakRssKib();
  std::ostringstream out, err;
  EXPECT_EQ(RunVerify({key_file_}, {path}, out, err), 1) << err.str();
  EXPECT_LT(PeakRssKib() - before, 64 * 1024) << "the long line was held in memory";
  EXPECT_EQ(out.str(), path +
                           ": line 1 seq ?: malformed: line longer than 16 MiB, the limit for one "
                           "record: not read\n"
                           "3 record(s) in 1 file(s) from 1 agent(s): 2 valid, 1 with problems\n");
}

TEST_F(VerifyTest, AChainThatJumpsToAnUnhandedKeySaysWhereTheRotationIsMissing) {
  agent::RecordContext context;
  context.agent_id = key_.public_key().KeyId();
  agent::ChainSigner signer(context.agent_id, {});
  auto next = *evidence::SigningKey::Generate();
  std::vector<std::string> lines;
  auto add = [&](v1::Evidence ev, const evidence::SigningKey& by) {
    auto record = signer.Sign(std::move(ev), by);
    ASSERT_TRUE(record.ok()) << record.status().ToString();
    v1::Envelope env;
    env.ParseFromString(record->envelope);
    lines.push_back(evidence::ToDsseJson(env));
  };
  add(agent::BuildLifecycle(context, "start", {}, 1), key_);
  add(agent::BuildLifecycle(context, "x", {}, 2), key_);
  add(agent::BuildRotation(context, key_, next.public_key(), 3), key_);  // seq 3
  add(agent::BuildLifecycle(context, "y", {}, 4), next);
  add(agent::BuildLifecycle(context, "z", {}, 5), next);
  lines.erase(lines.begin() + 2);
  EXPECT_EQ(Verify(lines), 1);
  auto problems = Problems();
  ASSERT_EQ(problems.size(), 2u) << out_;
  EXPECT_NE(problems[0].find("line 3 seq 4: missing-rotation: a key-rotation record is missing "
                             "at seq 3"),
            std::string::npos)
      << problems[0];
  EXPECT_NE(problems[1].find("a key-rotation record is missing at seq 3"), std::string::npos);
}

}  // namespace
}  // namespace shoko::cli
