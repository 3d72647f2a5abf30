// Two store processes on one PostgreSQL database (docs/ledger.md, "The
// sequencer"): both ingest, one sequences; the sequencer is killed with
// SIGKILL while agents upload to both, the other takes over within seconds,
// and in the end every record is exactly one leaf, every checkpoint is signed
// by the one log key and is the root of the tree the leaves make at its size,
// and each checkpoint is proven consistent with the one before it and with
// the last one signed before the kill. Also the log key as `shoko-store
// log-key --public` prints it (docs/ledger.md, "The log key").
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "evidence/log_leaf.h"
#include "evidence/merkle.h"
#include "evidence/note.h"
#include "platform/pg_db.h"
#include "shoko/v1/log.grpc.pb.h"
#include "tests/integration/processes.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ledger.h"
#include "tests/support/wait_until.h"

namespace shoko {
namespace {

namespace merkle = evidence::merkle;
using testing::CommandResult;
using testing::RunCommand;
using testing::TempDir;

using testing::WaitUntil;

// A store process on a shared database, its log (stderr) in a file that the
// test reads to see which store sequences.
class SharedStore {
 public:
  SharedStore(const TempDir& dir, const std::string& name, const std::string& db,
              const std::string& config)
      : log_path_(dir.Path(name + ".log")) {
    auto proc = testing::Subprocess::Start({SHOKO_STORE_BIN, "serve", "--listen", "127.0.0.1:0",
                                            "--db", db, "--insecure-loopback", "--config", config},
                                           log_path_);
    EXPECT_TRUE(proc.ok()) << proc.status().ToString();
    if (!proc.ok()) return;
    proc_ = std::move(proc).value();
    auto line = proc_->WaitForLine("listening on ", kStartTimeout);
    EXPECT_TRUE(line.ok()) << line.status().ToString() << "\n" << Log();
    if (line.ok()) address_ = line->substr(std::string("listening on ").size());
  }
  std::string Log() const { return testing::ReadFileOrEmpty(log_path_); }
  // Whether it has taken the sequencer's role ("sequencing the log: …").
  bool Sequences() const {
    return Log().find("shoko-store: sequencing the log") != std::string::npos;
  }
  const std::string& address() const { return address_; }
  void Kill() {
    auto killed = proc_->Stop(SIGKILL, kStartTimeout);
    EXPECT_TRUE(killed.ok()) << killed.status().ToString();
  }
  int Stop() {
    auto code = proc_->Stop(SIGTERM, kStartTimeout);
    EXPECT_TRUE(code.ok()) << code.status().ToString();
    return code.ok() ? *code : -1;
  }
  std::unique_ptr<v1::TransparencyLog::Stub> LogStub() const {
    return v1::TransparencyLog::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }

 private:
  std::string log_path_;
  std::unique_ptr<testing::Subprocess> proc_;
  std::string address_;
};

// Agents uploading pre-signed chains to `store` on a thread of their own.
class Load {
 public:
  Load(const std::string& store, int agents, int records)
      : thread_([this, store, agents, records] {
          result_ = RunCommand({SHOKO_LOAD_AGENTS_BIN, "--store", store, "--agents",
                                std::to_string(agents), "--records", std::to_string(records)},
                               std::chrono::minutes(5));
        }) {}
  ~Load() {
    if (thread_.joinable()) thread_.join();
  }
  const CommandResult& Wait() {
    if (thread_.joinable()) thread_.join();
    return result_;
  }

 private:
  CommandResult result_;
  std::thread thread_;
};

// The newest checkpoint `store` serves, checked against the pinned key;
// nullopt (with a failure recorded) when it has none or it does not verify.
std::optional<evidence::Checkpoint> NewestCheckpoint(const SharedStore& store,
                                                     const evidence::NoteVerifier& pinned) {
  grpc::ClientContext ctx;
  v1::Checkpoint cp;
  grpc::Status got = store.LogStub()->GetCheckpoint(&ctx, v1::GetCheckpointRequest(), &cp);
  if (!got.ok()) return std::nullopt;
  auto opened = evidence::OpenCheckpoint(cp.note(), pinned);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString() << "\n" << cp.note();
  if (!opened.ok()) return std::nullopt;
  return *opened;
}

// Verifies `store`'s consistency proof from `older` to `newer`.
void ExpectConsistent(const SharedStore& store, const evidence::Checkpoint& older,
                      const evidence::Checkpoint& newer) {
  if (older.tree_size == 0 || older.tree_size == newer.tree_size) {
    EXPECT_TRUE(older.tree_size != newer.tree_size || older.root_hash == newer.root_hash);
    return;
  }
  grpc::ClientContext ctx;
  v1::ConsistencyProofRequest req;
  req.set_first_size(older.tree_size);
  req.set_second_size(newer.tree_size);
  v1::ConsistencyProof proof;
  grpc::Status got = store.LogStub()->GetConsistencyProof(&ctx, req, &proof);
  ASSERT_TRUE(got.ok()) << got.error_message();
  std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
  Status verified = merkle::VerifyConsistency(older.tree_size, newer.tree_size, older.root_hash,
                                              newer.root_hash, hashes);
  EXPECT_TRUE(verified.ok()) << older.tree_size << " → " << newer.tree_size << ": "
                             << verified.ToString();
}

// A mirror of the log's leaves: how often each record is a leaf, and the
// root of the first n leaves for every n.
struct Mirror {
  std::map<std::pair<std::string, uint64_t>, int> times;
  std::vector<std::string> roots;
};

Mirror MirrorLeaves(const SharedStore& store) {
  Mirror mirror;
  merkle::CompactRange tree;
  mirror.roots.push_back(tree.Root());
  grpc::ClientContext ctx;
  auto reader = store.LogStub()->GetLeaves(&ctx, v1::GetLeavesRequest());
  for (v1::LogLeaf leaf; reader->Read(&leaf);) {
    EXPECT_EQ(leaf.leaf_index(), tree.size());
    ++mirror.times[{leaf.agent_id(), leaf.seq()}];
    auto input = evidence::LeafInput({leaf.agent_id(), leaf.seq(), leaf.record_digest(),
                                      leaf.signature_digest(), leaf.received_at_us()});
    EXPECT_TRUE(input.ok()) << input.status().ToString();
    if (!input.ok()) break;
    tree.Append(merkle::LeafHash(*input));
    mirror.roots.push_back(tree.Root());
  }
  grpc::Status finished = reader->Finish();
  EXPECT_TRUE(finished.ok()) << finished.error_message();
  return mirror;
}

class LogFailoverTest : public ::testing::Test {
 protected:
  // One log key and a quick checkpoint schedule for both stores, as a
  // deployment copies the key to each store.
  void SetUp() override {
    db_ = std::make_unique<testing::TestLedgerDb>("postgres", dir_.path());
    if (!db_->skip_reason().empty()) GTEST_SKIP() << db_->skip_reason();
    ASSERT_EQ(db_->error(), "");
    config_ = dir_.Write("store.yaml", "log_key: " + dir_.Path("keys/log.key") +
                                           "\ncheckpoint_interval: 1s\ncheckpoint_leaves: 500\n");
    CommandResult vkey = RunCommand(
        {SHOKO_STORE_BIN, "log-key", "--public", "--config", config_, "--db", db_->db()});
    ASSERT_EQ(vkey.exit_code, 0) << vkey.err;
    auto pinned = evidence::NoteVerifier::Parse(vkey.out.substr(0, vkey.out.find('\n')));
    ASSERT_TRUE(pinned.ok()) << vkey.out << pinned.status().ToString();
    pinned_.emplace(*pinned);
    auto sql = platform::PgDb::Connect(db_->db());
    ASSERT_TRUE(sql.ok()) << sql.status().ToString();
    sql_ = std::move(sql).value();
  }
  int64_t Count(const std::string& query) {
    auto rows = static_cast<platform::SqlDb&>(*sql_).Query(query);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() && !rows->empty() ? rows->Int(0, 0) : -1;
  }
  // Every record in the evidence table is exactly one leaf of `mirror`.
  void ExpectEachRecordOneLeaf(const Mirror& mirror) {
    auto rows = static_cast<platform::SqlDb&>(*sql_).Query("SELECT agent_id, seq FROM evidence");
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(mirror.times.size(), rows->size());  // no leaf of something else
    int lost = 0, doubled = 0;
    for (size_t i = 0; i < rows->size(); ++i) {
      auto it = mirror.times.find({rows->Bytes(i, 0), static_cast<uint64_t>(rows->Int(i, 1))});
      if (it == mirror.times.end()) ++lost;
      if (it != mirror.times.end() && it->second != 1) ++doubled;
    }
    EXPECT_EQ(lost, 0) << "records that are no leaf";
    EXPECT_EQ(doubled, 0) << "records that are several leaves";
  }
  // Every checkpoint kept verifies with the pinned key, is the root of the
  // mirrored tree at its size, and is proven consistent with the one before
  // it and with `before_kill`.
  void ExpectCheckpointsContinue(const SharedStore& store, const Mirror& mirror,
                                 const evidence::Checkpoint& before_kill) {
    auto rows = static_cast<platform::SqlDb&>(*sql_).Query(
        "SELECT note FROM checkpoints ORDER BY tree_size");
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<evidence::Checkpoint> checkpoints;
    for (size_t i = 0; i < rows->size(); ++i) {
      auto cp = evidence::OpenCheckpoint(rows->Bytes(i, 0), *pinned_);
      ASSERT_TRUE(cp.ok()) << cp.status().ToString();
      ASSERT_LT(cp->tree_size, mirror.roots.size());
      EXPECT_EQ(cp->root_hash, mirror.roots[cp->tree_size]) << "checkpoint of " << cp->tree_size;
      checkpoints.push_back(*cp);
    }
    size_t after_kill = 0;
    for (size_t i = 0; i < checkpoints.size(); ++i) {
      if (i > 0) ExpectConsistent(store, checkpoints[i - 1], checkpoints[i]);
      if (checkpoints[i].tree_size > before_kill.tree_size) {
        ExpectConsistent(store, before_kill, checkpoints[i]);
        ++after_kill;
      }
    }
    EXPECT_GE(after_kill, 2u) << "checkpoints signed after the kill";
  }

  TempDir dir_;
  std::unique_ptr<testing::TestLedgerDb> db_;
  std::string config_;
  std::optional<evidence::NoteVerifier> pinned_;
  std::unique_ptr<platform::PgDb> sql_;
};

TEST_F(LogFailoverTest, TheSequencerKilledMidStreamIsReplacedAndNoLeafIsLostOrDoubled) {
  auto first = std::make_unique<SharedStore>(dir_, "first", db_->db(), config_);
  ASSERT_TRUE(WaitUntil([&] { return first->Sequences(); }, kStartTimeout)) << first->Log();
  SharedStore second(dir_, "second", db_->db(), config_);

  // Agents upload to both; once the tree has grown, the sequencer dies.
  constexpr int kAgents = 8, kRecords = 1500;
  Load to_first(first->address(), kAgents, kRecords);
  Load to_second(second.address(), kAgents, kRecords);
  ASSERT_TRUE(WaitUntil([&] { return Count("SELECT tree_size FROM log_state") > 2000; },
                        std::chrono::minutes(2)));
  const std::optional<evidence::Checkpoint> before_kill = NewestCheckpoint(second, *pinned_);
  ASSERT_TRUE(before_kill.has_value());
  first->Kill();
  const auto killed_at = std::chrono::steady_clock::now();
  EXPECT_LT(Count("SELECT COUNT(*) FROM evidence"), 2 * kAgents * kRecords)
      << "the uploads ended before the kill";
  EXPECT_FALSE(second.Sequences()) << second.Log();
  ASSERT_TRUE(WaitUntil([&] { return second.Sequences(); }, std::chrono::seconds(30)))
      << second.Log();
  const double takeover =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  std::printf("the second store sequenced %.2f s after the first was killed\n", takeover);
  EXPECT_LT(takeover, 10.0);
  EXPECT_NE(to_first.Wait().exit_code, 0) << "its store died under it";
  EXPECT_EQ(to_second.Wait().exit_code, 0) << to_second.Wait().err;

  // The first comes back as an ingest node beside the new sequencer.
  first = std::make_unique<SharedStore>(dir_, "first-again", db_->db(), config_);
  Load again_first(first->address(), 4, 400), again_second(second.address(), 4, 400);
  EXPECT_EQ(again_first.Wait().exit_code, 0) << again_first.Wait().err;
  EXPECT_EQ(again_second.Wait().exit_code, 0) << again_second.Wait().err;
  EXPECT_FALSE(first->Sequences()) << first->Log();

  // A checkpoint comes to cover every record, whichever store took it.
  const int64_t records = Count("SELECT COUNT(*) FROM evidence");
  EXPECT_GT(records, kAgents * kRecords + 8 * 400);
  auto newest_size = [&] {
    auto cp = NewestCheckpoint(*first, *pinned_);
    return cp ? static_cast<int64_t>(cp->tree_size) : -1;
  };
  ASSERT_TRUE(WaitUntil([&] { return newest_size() == records; }, std::chrono::minutes(1)))
      << newest_size() << " of " << records;

  const Mirror mirror = MirrorLeaves(*first);
  EXPECT_EQ(static_cast<int64_t>(mirror.roots.size()) - 1, records);
  ExpectEachRecordOneLeaf(mirror);
  ExpectCheckpointsContinue(second, mirror, *before_kill);
  EXPECT_EQ(second.Stop(), 0) << second.Log();
  EXPECT_EQ(first->Stop(), 0) << first->Log();
}

// `shoko-store log-key --public`, by --db alone and by --config, prints the
// key the store's checkpoints verify with; the database pins it, so another
// key is refused rather than printed.
TEST(LogKeyCommandTest, PrintsTheKeyTheCheckpointsAreSignedWith) {
  TempDir dir;
  const std::string db = dir.Path("state/store.db");
  CommandResult by_db = RunCommand({SHOKO_STORE_BIN, "log-key", "--public", "--db", db});
  ASSERT_EQ(by_db.exit_code, 0) << by_db.err;
  struct stat st;
  ASSERT_EQ(::stat(dir.Path("state/log.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto pinned = evidence::NoteVerifier::Parse(by_db.out.substr(0, by_db.out.find('\n')));
  ASSERT_TRUE(pinned.ok()) << by_db.out;
  const std::string config = dir.Write("store.yaml", "db: " + db + "\ncheckpoint_interval: 1s\n");
  CommandResult by_config =
      RunCommand({SHOKO_STORE_BIN, "log-key", "--public", "--config", config});
  EXPECT_EQ(by_config.exit_code, 0) << by_config.err;
  EXPECT_EQ(by_config.out, by_db.out);

  SharedStore store(dir, "store", db, config);
  CommandResult load = RunCommand(
      {SHOKO_LOAD_AGENTS_BIN, "--store", store.address(), "--agents", "2", "--records", "50"});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  auto covered = [&] {
    auto cp = NewestCheckpoint(store, *pinned);
    return cp && cp->tree_size == 100;
  };
  EXPECT_TRUE(WaitUntil(covered, std::chrono::seconds(30))) << store.Log();
  EXPECT_EQ(store.Stop(), 0) << store.Log();

  // Another key for the same database: the log's key is printed by nobody.
  const std::string other =
      dir.Write("other.yaml", "db: " + db + "\nlog_key: " + dir.Path("other/log.key") + "\n");
  CommandResult refused = RunCommand({SHOKO_STORE_BIN, "log-key", "--public", "--config", other});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_EQ(refused.out, "");
  EXPECT_NE(refused.err.find(pinned->ToString()), std::string::npos) << refused.err;
  CommandResult no_public = RunCommand({SHOKO_STORE_BIN, "log-key", "--db", db});
  EXPECT_EQ(no_public.exit_code, 2);
  EXPECT_EQ(no_public.out, "");
}

}  // namespace
}  // namespace shoko
