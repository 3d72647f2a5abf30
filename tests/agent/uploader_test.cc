// The uploader against scripted stores served over real gRPC on loopback.
#include "agent/uploader.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <mutex>

#include "evidence/chain.h"
#include "evidence/envelope.h"
#include "shoko/v1/ingest.grpc.pb.h"
#include "tests/support/temp_dir.h"

namespace shoko::agent {
namespace {

using testing::TempDir;

// A store whose behaviour each test scripts: which head it claims, when it
// acks, what it acks, and when it hangs up.
class ScriptedStore final : public v1::EvidenceIngest::Service {
 public:
  uint64_t durable_seq = 0;
  std::string durable_digest = std::string(32, '\0');
  uint64_t ack_every = 1;      // ack after every Nth record (and at the end)
  uint64_t ack_bonus = 0;      // added to each ack: a lying store
  uint64_t hang_up_after = 0;  // end the stream with an error after N records (0: never)
  // Refuses the Hello with this code (OK: greets the agent).
  grpc::StatusCode refuse_hello = grpc::StatusCode::OK;
  // Acks everything before this seq, then refuses it (0: never), as the
  // store refuses a record whose signature or chain does not hold.
  uint64_t refuse_seq = 0;

  std::vector<uint64_t> received;  // seqs, in arrival order
  uint64_t max_unacked = 0;        // the most records in flight at once

  grpc::Status Upload(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<v1::UploadResponse, v1::UploadRequest>* stream) override {
    v1::UploadRequest req;
    if (!stream->Read(&req) || !req.has_hello())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "hello");
    if (refuse_hello != grpc::StatusCode::OK) return grpc::Status(refuse_hello, "not you");
    v1::UploadResponse hello_ack;
    hello_ack.mutable_hello_ack()->set_durable_seq(durable_seq);
    hello_ack.mutable_hello_ack()->set_durable_digest(durable_digest);
    stream->Write(hello_ack);
    uint64_t last_acked = durable_seq, last_seq = durable_seq;
    while (stream->Read(&req)) {
      auto ev = evidence::ParseEvidence(req.envelope().payload());
      if (!ev.ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "payload");
      last_seq = ev->seq();
      {
        std::lock_guard<std::mutex> lock(mu_);
        received.push_back(last_seq);
        max_unacked = std::max(max_unacked, last_seq - last_acked);
      }
      if (last_seq == refuse_seq) {
        if (last_acked < last_seq - 1) Ack(stream, last_seq - 1, &last_acked);
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "seq " + std::to_string(last_seq) + ": broken chain");
      }
      if (hang_up_after != 0 && received.size() == hang_up_after) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "store going down");
      }
      if (last_seq % ack_every == 0) Ack(stream, last_seq, &last_acked);
    }
    if (last_acked < last_seq) Ack(stream, last_seq, &last_acked);
    return grpc::Status::OK;
  }

 private:
  void Ack(grpc::ServerReaderWriter<v1::UploadResponse, v1::UploadRequest>* stream, uint64_t seq,
           uint64_t* last_acked) {
    v1::UploadResponse ack;
    ack.mutable_ack()->set_acked_seq(seq + ack_bonus);
    stream->Write(ack);
    *last_acked = seq;
  }
  std::mutex mu_;
};

class UploaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto outbox = Outbox::Open(dir_.path(), key_.public_key().KeyId(), {});
    ASSERT_TRUE(outbox.ok());
    outbox_ = std::move(outbox).value();
  }

  // Records n signed, chained records in the outbox.
  void Record(int n) {
    OutboxBatch batch;
    evidence::ChainHead head = outbox_->Position().head;
    for (int i = 0; i < n; ++i) {
      v1::Evidence ev;
      ev.set_agent_id(key_.public_key().KeyId());
      ev.set_key_id(key_.public_key().KeyId());
      ev.set_seq(head.seq + 1);
      ev.set_prev_digest(head.digest);
      ev.set_check_id("test.check");
      std::string payload = ev.SerializeAsString();
      OutboxRecord r{ev.seq(), evidence::RecordDigest(payload), ""};
      evidence::Sign(key_, payload)->SerializeToString(&r.envelope);
      head = {r.seq, r.digest};
      batch.records.push_back(std::move(r));
    }
    batch.after = {head, key_.public_key().KeyId()};
    ASSERT_TRUE(outbox_->Append(batch).ok());
  }

  Result<uint64_t> Drain(ScriptedStore* store, size_t window = 64) {
    return DrainFrom(store, window).result;
  }

  struct Drained {
    Result<uint64_t> result;
    std::string address;  // the store's, which errors name
  };
  Drained DrainFrom(ScriptedStore* store, size_t window = 64) {
    // A real listener on loopback: the uploader waits for a connected channel,
    // which in-process channels do not support.
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(store);
    auto server = builder.BuildAndStart();
    EXPECT_NE(port, 0);
    const std::string address = "127.0.0.1:" + std::to_string(port);
    Uploader uploader(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()), address,
                      key_.public_key(), key_.public_key().KeyId(), outbox_.get(), keep_);
    UploadOptions options;
    options.window = window;
    options.connect_timeout = std::chrono::seconds(5);
    options.upload_timeout = std::chrono::seconds(30);
    auto result = uploader.Drain(options);
    server->Shutdown();
    return {std::move(result), address};
  }

  uint64_t Depth() { return outbox_->Depth(); }

  TempDir dir_;
  evidence::SigningKey key_ = *evidence::SigningKey::Generate();
  std::unique_ptr<Outbox> outbox_;
  bool keep_ = false;  // a witness's uploader: acked records stay until included
};

TEST_F(UploaderTest, SendsEverythingInOrderAndDeletesWhatIsAcked) {
  Record(10);
  ScriptedStore store;
  auto sent = Drain(&store);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_EQ(*sent, 10u);
  EXPECT_EQ(store.received, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(Depth(), 0u);
}

TEST_F(UploaderTest, NeverHasMoreThanTheWindowInFlight) {
  Record(40);
  ScriptedStore store;
  store.ack_every = 5;
  auto sent = Drain(&store, /*window=*/8);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_EQ(store.received.size(), 40u);
  EXPECT_LE(store.max_unacked, 8u);
  EXPECT_GE(store.max_unacked, 5u);  // acks every 5th, so it did go that far
  EXPECT_EQ(Depth(), 0u);
}

TEST_F(UploaderTest, ResumesFromTheStoresDurableHead) {
  Record(5);
  ScriptedStore first;
  first.ack_every = 2;
  first.hang_up_after = 3;  // acks 2, receives 3, hangs up
  auto broken = Drain(&first);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(Depth(), 3u);  // seq 3..5 kept: 3 was never acked

  // The store answers that it holds through seq 2 (already deleted locally,
  // so its digest cannot be compared) and the upload resumes at 3.
  ScriptedStore second;
  second.durable_seq = 2;
  auto resumed = Drain(&second);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(second.received, (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(Depth(), 0u);
}

TEST_F(UploaderTest, RefusesToDeleteOnAnAckForWhatWasNotSent) {
  Record(4);
  ScriptedStore liar;
  liar.ack_bonus = 100;
  auto result = Drain(&liar);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("acked seq 101 but only seq "), std::string::npos)
      << result.status().message();
  EXPECT_EQ(Depth(), 4u);
}

TEST_F(UploaderTest, AStoreAheadOfTheLocalChainIsCorruption) {
  Record(2);
  ScriptedStore ahead;
  ahead.durable_seq = 9;
  auto result = Drain(&ahead);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(Depth(), 2u);
}

TEST_F(UploaderTest, AForkAtTheDurableHeadDeletesNothing) {
  Record(3);
  ScriptedStore forked;
  forked.durable_seq = 2;
  forked.durable_digest = std::string(32, 'f');
  auto result = Drain(&forked);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("fork"), std::string::npos);
  EXPECT_EQ(Depth(), 3u);
  EXPECT_TRUE(forked.received.empty());
}

TEST_F(UploaderTest, ARecordTheStoreRefusesIsCorruptionNamingItsSeq) {
  Record(6);
  ScriptedStore store;
  store.refuse_seq = 4;
  auto drained = DrainFrom(&store);
  ASSERT_FALSE(drained.result.ok());
  EXPECT_EQ(drained.result.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(drained.result.status().message(),
            "store " + drained.address + " refused seq 4: seq 4: broken chain");
  EXPECT_EQ(Depth(), 3u);  // 1-3 acked and deleted; 4-6 kept
}

TEST_F(UploaderTest, RefusedCredentialsArePermissionDeniedAndDeleteNothing) {
  Record(3);
  for (auto code : {grpc::StatusCode::PERMISSION_DENIED, grpc::StatusCode::UNAUTHENTICATED}) {
    ScriptedStore store;
    store.refuse_hello = code;
    auto result = Drain(&store);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), Status::Code::kPermissionDenied) << code;
    EXPECT_TRUE(store.received.empty());
  }
  EXPECT_EQ(Depth(), 3u);
}

TEST_F(UploaderTest, AStoreThatCannotBeReachedInTimeIsUnavailable) {
  Record(2);
  // A port nothing listens on any more.
  ScriptedStore gone;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&gone);
  builder.BuildAndStart()->Shutdown();
  const std::string address = "127.0.0.1:" + std::to_string(port);
  Uploader uploader(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()), address,
                    key_.public_key(), key_.public_key().KeyId(), outbox_.get(), false);
  UploadOptions options;
  options.connect_timeout = std::chrono::milliseconds(200);
  auto result = uploader.Drain(options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(result.status().message().find(address), std::string::npos);
  EXPECT_EQ(Depth(), 2u);
}

TEST_F(UploaderTest, AWitnessKeepsWhatTheStoreAckedMarkedUntilItIsIncluded) {
  keep_ = true;
  Record(10);
  ScriptedStore store;
  auto sent = Drain(&store);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_EQ(*sent, 10u);
  EXPECT_EQ(Depth(), 10u);
  EXPECT_EQ(outbox_->AwaitingInclusion(), 10u);
  auto acked = outbox_->AckedSeqs();
  ASSERT_TRUE(acked.ok());
  EXPECT_EQ(acked->size(), 10u);

  // The next upload sends none of them again: the store's head covers them.
  Record(2);
  ScriptedStore next;
  next.durable_seq = 10;
  next.durable_digest = (*outbox_->ReadAfter(9, 1)).front().digest;
  ASSERT_TRUE(Drain(&next).ok());
  EXPECT_EQ(next.received, (std::vector<uint64_t>{11, 12}));
  EXPECT_EQ(outbox_->AwaitingInclusion(), 12u);
}

TEST_F(UploaderTest, AWitnessSendsAgainWhatAStoreAckedAndLost) {
  keep_ = true;
  Record(6);
  ScriptedStore store;
  ASSERT_TRUE(Drain(&store).ok());
  // The store's database was restored from a copy that holds seq 1-3 only.
  ScriptedStore restored;
  restored.durable_seq = 3;
  restored.durable_digest = (*outbox_->ReadAfter(2, 1)).front().digest;
  restored.hang_up_after = 1;  // and it goes away after taking seq 4
  auto result = Drain(&restored);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(restored.received, (std::vector<uint64_t>{4}));
  // 4-6 are no longer acknowledged: no inclusion is awaited for them.
  EXPECT_EQ(outbox_->AwaitingInclusion(), 3u);
  EXPECT_EQ(Depth(), 6u);
}

}  // namespace
}  // namespace shoko::agent
