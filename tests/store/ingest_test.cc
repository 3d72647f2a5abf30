// The store's ingest rules, against a real gRPC server in this process.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "evidence/chain.h"
#include "evidence/envelope.h"
#include "evidence/keys.h"
#include "evidence/rotation.h"
#include "shoko/v1/ingest.grpc.pb.h"
#include "store/ingest_service.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ledger.h"

namespace shoko::store {
namespace {

using testing::TempDir;

class IngestTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<testing::TestLedgerDb>(GetParam(), dir_.path());
    if (!db_->skip_reason().empty()) GTEST_SKIP() << db_->skip_reason();
    ASSERT_EQ(db_->error(), "");
    auto ledger = OpenLedger(db_->db());
    ASSERT_TRUE(ledger.ok());
    ledger_ = std::move(ledger).value();
    service_ = std::make_unique<IngestService>(ledger_.get(), [] { return int64_t{42}; });
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    stub_ = v1::EvidenceIngest::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    service_.reset();  // its committer, then the ledger, before the database goes
    ledger_.reset();
  }

  // A signed record `seq` of `key`'s chain with the given prev digest.
  static v1::Envelope Record(const evidence::SigningKey& key, uint64_t seq, const std::string& prev,
                             const std::string& agent_id = "") {
    v1::Evidence ev;
    ev.set_agent_id(agent_id.empty() ? key.public_key().KeyId() : agent_id);
    ev.set_key_id(key.public_key().KeyId());
    ev.set_seq(seq);
    ev.set_prev_digest(prev);
    ev.set_check_id("access.sshd");
    ev.add_controls("ismap:8.2");
    return *evidence::Sign(key, ev.SerializeAsString());
  }

  // Builds a chain of n records.
  static std::vector<v1::Envelope> Chain(const evidence::SigningKey& key, int n) {
    std::vector<v1::Envelope> out;
    std::string prev(32, '\0');
    for (int i = 1; i <= n; ++i) {
      out.push_back(Record(key, static_cast<uint64_t>(i), prev));
      prev = evidence::RecordDigest(out.back().payload());
    }
    return out;
  }

  struct Outcome {
    grpc::Status status;
    uint64_t hello_seq = 0;
    uint64_t last_ack = 0;
  };

  Outcome Upload(const evidence::SigningKey& key, const std::vector<v1::Envelope>& envelopes,
                 uint32_t protocol = 1, const std::string& agent_id = "") {
    grpc::ClientContext ctx;
    auto stream = stub_->Upload(&ctx);
    v1::UploadRequest hello;
    hello.mutable_hello()->set_protocol_version(protocol);
    hello.mutable_hello()->set_agent_id(agent_id.empty() ? key.public_key().KeyId() : agent_id);
    hello.mutable_hello()->set_key_id(key.public_key().KeyId());
    hello.mutable_hello()->set_public_key(key.public_key().raw());
    Outcome out;
    stream->Write(hello);
    v1::UploadResponse resp;
    if (stream->Read(&resp) && resp.has_hello_ack()) {
      out.hello_seq = resp.hello_ack().durable_seq();
      for (const v1::Envelope& e : envelopes) {
        v1::UploadRequest req;
        *req.mutable_envelope() = e;
        if (!stream->Write(req)) break;
        if (!stream->Read(&resp)) break;
        out.last_ack = resp.ack().acked_seq();
      }
      stream->WritesDone();
    }
    out.status = stream->Finish();
    return out;
  }

  TempDir dir_;
  std::unique_ptr<testing::TestLedgerDb> db_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<IngestService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::EvidenceIngest::Stub> stub_;
};

TEST_P(IngestTest, AcceptsAChainAndResumesFromTheDurableHead) {
  auto key = *evidence::SigningKey::Generate();
  auto chain = Chain(key, 5);
  Outcome first = Upload(key, {chain[0], chain[1], chain[2]});
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  EXPECT_EQ(first.hello_seq, 0u);
  EXPECT_EQ(first.last_ack, 3u);
  // A resend of held records is acked again and stored once.
  Outcome second = Upload(key, {chain[2], chain[3], chain[4]});
  ASSERT_TRUE(second.status.ok()) << second.status.error_message();
  EXPECT_EQ(second.hello_seq, 3u);
  EXPECT_EQ(second.last_ack, 5u);
  int stored = 0;
  ASSERT_TRUE(ledger_
                  ->List({},
                         [&](const LedgerRecord& r) {
                           EXPECT_EQ(r.received_at_us, 42);
                           ++stored;
                           return true;
                         })
                  .ok());
  EXPECT_EQ(stored, 5);
}

TEST_P(IngestTest, RejectsAForgedSignature) {
  auto key = *evidence::SigningKey::Generate();
  auto chain = Chain(key, 1);
  (*chain[0].mutable_signatures(0)->mutable_sig())[0] ^= 1;
  Outcome out = Upload(key, chain);
  EXPECT_EQ(out.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(out.status.error_message().find("bad signature"), std::string::npos);
}

TEST_P(IngestTest, RejectsAForkAndBrokenChainKeepsAGap) {
  auto key = *evidence::SigningKey::Generate();
  auto chain = Chain(key, 3);
  ASSERT_TRUE(Upload(key, {chain[0], chain[1]}).status.ok());

  v1::Envelope other_two = Record(key, 2, evidence::RecordDigest(chain[0].payload()));
  v1::Evidence ev;
  ev.ParseFromString(other_two.payload());
  ev.set_check_id("something.else");
  other_two = *evidence::Sign(key, ev.SerializeAsString());
  Outcome fork = Upload(key, {other_two});
  EXPECT_EQ(fork.status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(fork.status.error_message().find("seq 2: fork"), std::string::npos);
  auto incidents = ledger_->Incidents(key.public_key().KeyId());
  ASSERT_TRUE(incidents.ok());
  ASSERT_EQ(incidents->size(), 1u);
  const Incident& incident = incidents->front();
  EXPECT_EQ(incident.agent_id, key.public_key().KeyId());
  EXPECT_EQ(incident.seq, 2u);
  EXPECT_EQ(incident.kind, "fork");
  EXPECT_EQ(incident.detail.rfind("another validly signed record at a held seq, from ", 0), 0u)
      << incident.detail;
  EXPECT_EQ(incident.detected_at_us, 42);
  v1::Envelope kept;
  ASSERT_TRUE(kept.ParseFromString(incident.envelope));
  EXPECT_EQ(kept.payload(), other_two.payload());

  Outcome broken = Upload(key, {Record(key, 3, std::string(32, 'z'))});
  EXPECT_EQ(broken.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(broken.status.error_message().find("broken chain"), std::string::npos);

  // A hole (records lost on the host) is accepted and kept as a gap, so that
  // auditors see it.
  Outcome gap = Upload(key, {Record(key, 5, std::string(32, '\0'))});
  ASSERT_TRUE(gap.status.ok()) << gap.status.error_message();
  EXPECT_EQ(gap.last_ack, 5u);
  auto gaps = ledger_->Gaps(key.public_key().KeyId());
  ASSERT_TRUE(gaps.ok());
  ASSERT_EQ(gaps->size(), 1u);
  EXPECT_EQ((*gaps)[0].first_seq, 3u);
  EXPECT_EQ((*gaps)[0].last_seq, 4u);
}

TEST_P(IngestTest, RejectsEnvelopesThatBreakShokosRules) {
  auto key = *evidence::SigningKey::Generate();
  auto chain = Chain(key, 1);

  v1::Envelope doubled = chain[0];
  *doubled.add_signatures() = chain[0].signatures(0);
  Outcome two = Upload(key, {doubled});
  EXPECT_EQ(two.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(two.status.error_message().find("exactly one signature"), std::string::npos);

  v1::Envelope retyped = *evidence::Sign(key, chain[0].payload(), "application/json");
  Outcome typed = Upload(key, {retyped});
  EXPECT_EQ(typed.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(typed.status.error_message().find("is not shoko evidence"), std::string::npos);

  v1::Envelope newline = chain[0];
  newline.mutable_signatures(0)->set_keyid("abc\nshoko-store: forged line");
  Outcome forged = Upload(key, {newline});
  EXPECT_EQ(forged.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(forged.status.error_message().find('\n'), std::string::npos);
  EXPECT_EQ(forged.status.error_message().find("forged"), std::string::npos);

  EXPECT_EQ(Upload(key, chain).last_ack, 1u);  // the honest record still goes in
}

TEST_P(IngestTest, FollowsAKeyRotation) {
  auto old_key = *evidence::SigningKey::Generate();
  auto new_key = *evidence::SigningKey::Generate();
  const std::string agent = old_key.public_key().KeyId();
  auto chain = Chain(old_key, 2);
  v1::Evidence rotation;
  rotation.set_agent_id(agent);
  rotation.set_key_id(agent);
  rotation.set_seq(3);
  rotation.set_prev_digest(evidence::RecordDigest(chain[1].payload()));
  rotation.set_check_id(std::string(evidence::kKeyRotationCheckId));
  rotation.set_kind(v1::LIFECYCLE);
  evidence::SetRotationFacts(new_key.public_key(), &rotation);
  chain.push_back(*evidence::Sign(old_key, rotation.SerializeAsString()));
  v1::Envelope four = Record(new_key, 4, evidence::RecordDigest(chain[2].payload()), agent);
  chain.push_back(four);
  // First contact with the first key; the rotation record is in the upload.
  Outcome rotated = Upload(old_key, chain, 1, agent);
  ASSERT_TRUE(rotated.status.ok()) << rotated.status.error_message();
  EXPECT_EQ(rotated.last_ack, 4u);
  // The old key signs nothing after the rotation; a Hello may name the new key.
  Outcome stale =
      Upload(new_key, {Record(old_key, 5, evidence::RecordDigest(four.payload()))}, 1, agent);
  EXPECT_EQ(stale.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(stale.status.error_message().find("may sign only seq 1 to 3"), std::string::npos)
      << stale.status.error_message();
  // And the audit view hands out the key each record was verified with.
  std::vector<std::string> keys;
  ASSERT_TRUE(ledger_
                  ->List({},
                         [&](const LedgerRecord& r) {
                           keys.push_back(evidence::PublicKey::FromRaw(r.public_key)->KeyId());
                           return true;
                         })
                  .ok());
  EXPECT_EQ(keys, (std::vector<std::string>{agent, agent, agent, new_key.public_key().KeyId()}));
}

TEST(IngestLimitTest, BeyondItsStreamLimitTheStorePushesBack) {
  TempDir dir;
  auto ledger = OpenSqliteLedger(dir.Path("store.db"));
  ASSERT_TRUE(ledger.ok());
  IngestService service(
      ledger->get(), [] { return int64_t{1}; }, false, /*max_streams=*/1);
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  auto stub = v1::EvidenceIngest::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
  auto key = *evidence::SigningKey::Generate();
  v1::UploadRequest hello;
  hello.mutable_hello()->set_protocol_version(1);
  hello.mutable_hello()->set_agent_id(key.public_key().KeyId());
  hello.mutable_hello()->set_key_id(key.public_key().KeyId());
  hello.mutable_hello()->set_public_key(key.public_key().raw());
  grpc::ClientContext first_ctx;
  auto first = stub->Upload(&first_ctx);
  ASSERT_TRUE(first->Write(hello));
  v1::UploadResponse resp;
  ASSERT_TRUE(first->Read(&resp));  // the first stream is open and answered
  grpc::ClientContext second_ctx;
  auto second = stub->Upload(&second_ctx);
  second->Write(hello);
  second->WritesDone();
  grpc::Status busy = second->Finish();
  EXPECT_EQ(busy.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(busy.error_message().find("store busy"), std::string::npos);
  first->WritesDone();
  EXPECT_TRUE(first->Finish().ok());
  server->Shutdown();
}

TEST_P(IngestTest, RejectsImpostorsAndOtherProtocols) {
  auto key = *evidence::SigningKey::Generate();
  ASSERT_TRUE(Upload(key, Chain(key, 1)).status.ok());

  // Another key claiming the registered agent's id and chain.
  auto thief = *evidence::SigningKey::Generate();
  const std::string victim = key.public_key().KeyId();
  Outcome stolen =
      Upload(thief, {Record(thief, 2, evidence::RecordDigest(Chain(key, 1)[0].payload()), victim)},
             1, victim);
  EXPECT_EQ(stolen.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(stolen.status.error_message().find("not registered for this agent"), std::string::npos);

  // A new agent must present its first key.
  auto fresh = *evidence::SigningKey::Generate();
  Outcome unknown = Upload(fresh, {}, 1, std::string(64, 'b'));
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // Records of one agent on another agent's stream.
  auto other = *evidence::SigningKey::Generate();
  Outcome foreign = Upload(other, {Record(other, 1, std::string(32, '\0'), std::string(64, 'c'))});
  EXPECT_EQ(foreign.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  Outcome forged_id = Upload(key, {}, 1, "agent\nshoko-store: fake log line");
  EXPECT_EQ(forged_id.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(forged_id.status.error_message().find("fake"), std::string::npos);

  Outcome future = Upload(key, {}, 2);
  EXPECT_EQ(future.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(future.status.error_message().find("protocol version 2"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, IngestTest, ::testing::ValuesIn(testing::LedgerBackends()),
                         [](const auto& param) { return param.param; });

}  // namespace
}  // namespace shoko::store
