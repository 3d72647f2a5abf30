// Transport faults with real processes (docs/wire-protocol.md): peers that speak garbage
// or nothing, a store that comes back, a store killed mid-stream.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "store/ledger.h"
#include "tests/integration/processes.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ledger.h"

namespace shoko {
namespace {

using testing::CommandResult;
using testing::FixturePath;
using testing::RunCommand;
using testing::Subprocess;
using testing::TempDir;

// A TCP listener on loopback that answers every connection with `reply` (or
// with silence when empty) and keeps it open until it stops.
class FakePeer {
 public:
  explicit FakePeer(std::string reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    address_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    thread_ = std::thread([this] {
      std::vector<int> clients;
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) continue;
        if (!reply_.empty()) (void)!::write(c, reply_.data(), reply_.size());
        clients.push_back(c);
      }
      for (int c : clients) ::close(c);
    });
  }
  ~FakePeer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  const std::string& address() const { return address_; }

 private:
  std::string reply_;
  int fd_ = -1;
  std::string address_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(TransportTest, APeerThatSpeaksGarbageOrNothingFailsCleanlyInBoundedTime) {
  for (const std::string& reply :
       {std::string("HTTP/1.1 400 Bad Request\r\n\r\nnot grpc"), std::string()}) {
    FakePeer peer(reply);
    TempDir dir;
    std::string config =
        dir.Write("agent.yaml",
                  "state_dir: " + dir.Path("state") + "\ncollectors: [access.sshd]\nroot: " +
                      FixturePath("sshd-defaults") + "\nstore:\n  address: " + peer.address() +
                      "\n  insecure_loopback: true\n  connect_timeout: 2s\n  upload_timeout: 5s\n");
    auto started = std::chrono::steady_clock::now();
    CommandResult r = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config},
                                 std::chrono::seconds(60));
    auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(r.exit_code, 3) << (reply.empty() ? "silent" : "garbage") << ": " << r.err;
    EXPECT_NE(r.err.find("record(s) kept in the outbox"), std::string::npos) << r.err;
    EXPECT_LT(took, std::chrono::seconds(20)) << "bounded by connect_timeout + upload_timeout";
    CommandResult query =
        RunCommand({SHOKOCTL_BIN, "evidence", "--store", peer.address()}, std::chrono::seconds(60));
    EXPECT_EQ(query.exit_code, 3) << query.err;
    EXPECT_EQ(Lines(query.err), 1) << query.err;
  }
}

TEST(TransportTest, TheDaemonRetriesWithBackoffUntilTheStoreIsBack) {
  TempDir dir;
  const std::string address = DeadAddress();
  std::string config = dir.Write(
      "agent.yaml", "state_dir: " + dir.Path("state") +
                        "\ncollectors: [access.sshd]\nroot: " + FixturePath("sshd-defaults") +
                        "\ninterval: 1h\nstore:\n  address: " + address +
                        "\n  insecure_loopback: true\n  connect_timeout: 1s\n  retry_initial: 1s\n"
                        "  retry_max: 2s\n");
  auto agent = Subprocess::Start({SHOKO_AGENT_BIN, "run", "--config", config},
                                 dir.Path("agent.out"), Subprocess::Watch::kStderr);
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE((*agent)->WaitForLine("shoko-agent: upload failed", kStartTimeout).ok());
  // The store comes up on the address the agent keeps trying; with an hour
  // between sweeps, only the retries can deliver.
  StoreProcess store(dir, address);
  auto acked = (*agent)->WaitForLine("shoko-agent: store acknowledged", kStartTimeout);
  ASSERT_TRUE(acked.ok()) << acked.status().ToString();
  EXPECT_EQ(*(*agent)->Stop(SIGTERM, std::chrono::seconds(30)), 0);
  EXPECT_EQ(store.Stop(), 0);
}

class KilledStoreTest : public ::testing::TestWithParam<std::string> {};

TEST_P(KilledStoreTest, AStoreKilledMidStreamStoresEveryRecordExactlyOnce) {
  TempDir dir;
  testing::TestLedgerDb db(GetParam(), dir.Path("store"));
  if (!db.skip_reason().empty()) GTEST_SKIP() << db.skip_reason();
  ASSERT_EQ(db.error(), "");
  const std::string state = dir.Path("state");
  // A backlog of records made as fast as the recorder can, by the crash
  // test's child, killed after 600 sweeps' worth (about 1200 records).
  auto child = Subprocess::Start({SHOKO_CRASH_CHILD_BIN, state}, dir.Path("child.err"));
  ASSERT_TRUE(child.ok());
  std::string last;
  for (int i = 0; i < 600; ++i) {
    auto line = (*child)->WaitForLine("recorded ", kStartTimeout);
    ASSERT_TRUE(line.ok());
    last = *line;
  }
  ASSERT_TRUE((*child)->Stop(SIGKILL, std::chrono::seconds(30)).ok());

  auto store = std::make_unique<StoreProcess>(dir, "127.0.0.1:0", std::vector<std::string>{},
                                              /*watch_log=*/true, db.db());
  const std::string address = store->address();
  std::string config = dir.Write(
      "agent.yaml", "state_dir: " + state +
                        "\ncollectors: [access.sshd]\nroot: " + FixturePath("sshd-defaults") +
                        "\ninterval: 1h\nstore:\n  address: " + address +
                        "\n  insecure_loopback: true\n  connect_timeout: 1s\n  retry_initial: 1s\n"
                        "  retry_max: 1s\n  drain_rate: 400\n");
  auto agent = Subprocess::Start({SHOKO_AGENT_BIN, "run", "--config", config},
                                 dir.Path("agent.out"), Subprocess::Watch::kStderr);
  ASSERT_TRUE(agent.ok());
  // The store registers the agent as its upload begins; at 400 records a
  // second the upload then lasts seconds: kill the store in the middle of it.
  ASSERT_TRUE(store->WaitForLog("shoko-store: registered new agent"));
  store.reset();  // its destructor SIGKILLs the process
  store = std::make_unique<StoreProcess>(dir, address, std::vector<std::string>{}, false, db.db());
  auto acked = (*agent)->WaitForLine("shoko-agent: store acknowledged", std::chrono::seconds(60));
  ASSERT_TRUE(acked.ok()) << acked.status().ToString()
                          << testing::ReadFileOrEmpty(dir.Path("agent.out"));
  EXPECT_EQ(*(*agent)->Stop(SIGTERM, std::chrono::seconds(30)), 0);
  EXPECT_EQ(store->Stop(), 0);

  auto ledger = store::OpenLedger(db.db());
  ASSERT_TRUE(ledger.ok());
  std::vector<uint64_t> seqs;
  ASSERT_TRUE((*ledger)
                  ->List({},
                         [&](const store::LedgerRecord& r) {
                           seqs.push_back(r.seq);
                           return true;
                         })
                  .ok());
  ASSERT_GT(seqs.size(), 1000u);
  std::sort(seqs.begin(), seqs.end());
  for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1) << "each seq exactly once";
  auto gaps = (*ledger)->Gaps("");
  ASSERT_TRUE(gaps.ok());
  EXPECT_TRUE(gaps->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, KilledStoreTest, ::testing::ValuesIn(testing::LedgerBackends()),
                         [](const auto& param) { return param.param; });

}  // namespace
}  // namespace shoko
