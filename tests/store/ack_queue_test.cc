// An upload's acks: in order, once durable, coalesced, ended by a failed commit.
#include "store/ack_queue.h"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

namespace shoko::store {
namespace {

// The acks a queue wrote, and whether the client is still there.
class Client {
 public:
  AckQueue::WriteAck Writer() {
    return [this](uint64_t seq) {
      std::lock_guard<std::mutex> lock(mu_);
      acks_.push_back(seq);
      return connected_;
    };
  }
  std::vector<uint64_t> acks() {
    std::lock_guard<std::mutex> lock(mu_);
    return acks_;
  }
  void Leave() {
    std::lock_guard<std::mutex> lock(mu_);
    connected_ = false;
  }

 private:
  std::mutex mu_;
  std::vector<uint64_t> acks_;
  bool connected_ = true;
};

TEST(AckQueueTest, ARecordIsAckedOnlyAfterEveryRecordBeforeItIsDurable) {
  Client client;
  int failures = 0;
  AckQueue queue(client.Writer(), [&] { ++failures; });
  auto first = queue.Expect(1);
  auto second = queue.Expect(2);
  second(Status::OK());  // durable, but the record before it is not yet
  first(Status::OK());
  EXPECT_TRUE(queue.Finish().ok());
  // One ack covers both: the sender saw them durable together.
  EXPECT_EQ(client.acks(), std::vector<uint64_t>{2});
  EXPECT_EQ(failures, 0);
}

TEST(AckQueueTest, AcksComeInOrderAndEndWithTheLastRecord) {
  Client client;
  AckQueue queue(client.Writer(), [] {});
  for (uint64_t seq = 1; seq <= 100; ++seq) queue.Expect(seq)(Status::OK());
  EXPECT_TRUE(queue.Finish().ok());
  const std::vector<uint64_t> acks = client.acks();
  ASSERT_FALSE(acks.empty());
  for (size_t i = 1; i < acks.size(); ++i) EXPECT_LT(acks[i - 1], acks[i]);
  EXPECT_EQ(acks.back(), 100u);
}

TEST(AckQueueTest, ARecordTheStoreHoldsIsAckedAgainWithoutACommit) {
  Client client;
  AckQueue queue(client.Writer(), [] {});
  queue.AckHeld(7);
  EXPECT_TRUE(queue.Finish().ok());
  EXPECT_EQ(client.acks(), std::vector<uint64_t>{7});
}

TEST(AckQueueTest, AFailedCommitEndsTheStreamWithoutAckingIt) {
  Client client;
  int failures = 0;
  std::function<void(Status)> late;
  {
    AckQueue queue(client.Writer(), [&] { ++failures; });
    auto first = queue.Expect(1);
    auto second = queue.Expect(2);
    late = queue.Expect(3);
    first(Status::OK());
    second(Status::IOError("disk full"));
    Status finished = queue.Finish();
    EXPECT_EQ(finished.code(), Status::Code::kIOError);
    EXPECT_EQ(finished.message(), "disk full");
  }
  EXPECT_EQ(failures, 1);
  for (uint64_t seq : client.acks()) EXPECT_EQ(seq, 1u);  // never 2 or 3
  late(Status::OK());  // a commit reporting after the stream ended is harmless
}

TEST(AckQueueTest, AClientThatLeftDoesNotHoldTheReaderBack) {
  Client client;
  client.Leave();
  AckQueue queue(
      client.Writer(), [] {}, /*max_pending=*/1);
  queue.AckHeld(1);
  // With room for one pending ack and no one to send to, these would wait
  // forever if a gone client still held the reader back.
  queue.Expect(2);
  queue.Expect(3);
  EXPECT_TRUE(queue.Finish().ok());
  EXPECT_EQ(client.acks(), std::vector<uint64_t>{1});
}

}  // namespace
}  // namespace shoko::store
