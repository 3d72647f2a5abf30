// The daemon without a process: its retry policy (full jitter, doubling,
// capped), its schedule (a sweep per interval, retries between sweeps, stop on
// a signal) under a fake clock, the sweep memory it keeps, and the lifecycle
// records it writes (start naming the config's files, config_change naming the
// file that changed, stop).
#include "agent/daemon.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "agent/state_dir.h"
#include "evidence/envelope.h"
#include "platform/local_files.h"
#include "tests/support/temp_dir.h"

namespace shoko::agent {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::TempDir;

TEST(RetryPolicyTest, TheCeilingDoublesFromInitialUpToMax) {
  const RetryPolicy policy{milliseconds(1000), milliseconds(10000)};
  EXPECT_EQ(policy.Ceiling(0), milliseconds(1000));
  EXPECT_EQ(policy.Ceiling(1), milliseconds(2000));
  EXPECT_EQ(policy.Ceiling(3), milliseconds(8000));
  EXPECT_EQ(policy.Ceiling(4), milliseconds(10000));
  // Long outages neither overflow nor pass the cap.
  EXPECT_EQ(policy.Ceiling(1000), milliseconds(10000));
}

TEST(RetryPolicyTest, DelaysSpreadOverTheWholeRange) {
  const RetryPolicy policy{milliseconds(1000), milliseconds(300000)};
  std::mt19937_64 random(42);
  milliseconds low = milliseconds::max(), high = milliseconds(0);
  int below_half = 0;
  for (int i = 0; i < 2000; ++i) {
    const milliseconds d = policy.Delay(2, random);  // ceiling 4 s
    ASSERT_GE(d, milliseconds(0));
    ASSERT_LE(d, milliseconds(4000));
    low = std::min(low, d);
    high = std::max(high, d);
    below_half += d < milliseconds(2000);
  }
  // Full jitter: anywhere from 0 to the ceiling, not clustered near it.
  EXPECT_LT(low, milliseconds(100));
  EXPECT_GT(high, milliseconds(3900));
  EXPECT_GT(below_half, 800);
  EXPECT_LT(below_half, 1200);
}

// Time moves only when the daemon waits; a stop signal arrives at the
// `stop_at`th wait.
class FakeClock final : public DaemonClock {
 public:
  explicit FakeClock(size_t stop_at) : stop_at_(stop_at) {}
  TimePoint Now() const override { return now_; }
  int64_t WallMicros() const override {
    return 1'700'000'000'000'000 +
           std::chrono::duration_cast<std::chrono::microseconds>(now_ - TimePoint()).count();
  }
  Result<int> WaitUntil(TimePoint deadline) override {
    waits.push_back(std::chrono::duration_cast<milliseconds>(deadline - now_));
    if (waits.size() >= stop_at_) return SIGTERM;
    now_ = std::max(now_, deadline);
    return 0;
  }

  std::vector<milliseconds> waits;  // how long each wait was asked to last

 private:
  const size_t stop_at_;
  TimePoint now_;
};

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = StateDir::OpenOnline(tmp_.path(), {});
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_.emplace(std::move(dir).value());
    RecordContext context;
    context.agent_id = dir_->identity().agent_id;
    recorder_ = std::make_unique<Recorder>(context, &dir_->outbox());
  }

  // A daemon whose sweep observes one check and whose uploads fail
  // `failures` times, then succeed.
  std::unique_ptr<Daemon> Make(DaemonOptions options, FakeClock* clock, int failures = 0) {
    options.sweep_memory_file = dir_->sweep_memory_file();
    options.random_seed = 7;
    return std::make_unique<Daemon>(
        options, recorder_.get(), &dir_->outbox(), dir_->identity().key, clock,
        [this](collectors::SweepMemory* memory) {
          ++sweeps_;
          remembered_ = memory->For("test").value("sweeps", 0);
          if (memory_changes_) memory->For("test")["sweeps"] = sweeps_;
          CollectedCheck check;
          check.collector = "test";
          check.observation.check_id = "test.subject";
          check.observation.facts = {{"sweep", sweeps_}};
          return std::vector<CollectedCheck>{check};
        },
        [this, failures]() {
          ++uploads_;
          if (store_) return store_();
          return uploads_ <= failures ? Status::Unavailable("store away") : Status::OK();
        });
  }

  // Runs a daemon sweeping every `interval` until a signal at the
  // `stop_at`th wait; returns the clock, which saw every wait.
  std::unique_ptr<FakeClock> RunEvery(seconds interval, size_t stop_at) {
    auto clock = std::make_unique<FakeClock>(stop_at);
    DaemonOptions options;
    options.interval = interval;
    auto daemon = Make(options, clock.get());
    EXPECT_TRUE(daemon->Run().ok());
    EXPECT_TRUE(daemon->last_upload().ok());
    return clock;
  }

  // The check ids of every record in the outbox, in chain order.
  std::vector<v1::Evidence> Records() {
    std::vector<v1::Evidence> out;
    for (const OutboxRecord& r : *dir_->outbox().ReadAfter(0, 1000)) {
      v1::Envelope envelope;
      EXPECT_TRUE(envelope.ParseFromString(r.envelope));
      out.push_back(*evidence::ParseEvidence(envelope.payload()));
    }
    return out;
  }
  std::vector<std::string> CheckIds() {
    std::vector<std::string> ids;
    for (const v1::Evidence& e : Records()) ids.push_back(e.check_id());
    return ids;
  }

  TempDir tmp_;
  std::optional<StateDir> dir_;
  std::unique_ptr<Recorder> recorder_;
  int sweeps_ = 0;
  int uploads_ = 0;
  bool memory_changes_ = true;
  int remembered_ = 0;  // what the last sweep found in the memory
  // What an upload does, when a test says (else it succeeds or fails as Make says).
  std::function<Status()> store_;
};

TEST_F(DaemonTest, SweepsEveryIntervalAndStopsOnASignal) {
  const auto clock = RunEvery(seconds(60), 3);
  EXPECT_EQ(sweeps_, 3);
  EXPECT_EQ(uploads_, 4);  // one after each sweep, one after the stop record
  EXPECT_EQ(clock->waits, std::vector<milliseconds>(3, seconds(60)));
  const std::vector<v1::Evidence> records = Records();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().check_id(), "agent.lifecycle.stop");
  EXPECT_EQ(records.back().facts().fields().at("reason").string_value(), "signal 15");
}

TEST_F(DaemonTest, FailedUploadsAreRetriedWithJitterBetweenSweeps) {
  FakeClock clock(6);
  DaemonOptions options;
  options.interval = seconds(3600);
  options.retry = {milliseconds(1000), milliseconds(3000)};
  auto daemon = Make(options, &clock, /*failures=*/4);
  ASSERT_TRUE(daemon->Run().ok());
  ASSERT_EQ(clock.waits.size(), 6u);
  // Four failures: waits within 1, 2, 3 (capped), 3 s; then, the upload
  // through, the rest of the interval.
  const milliseconds ceilings[] = {milliseconds(1000), milliseconds(2000), milliseconds(3000),
                                   milliseconds(3000)};
  milliseconds waited(0);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_LE(clock.waits[i], ceilings[i]) << i;
    waited += clock.waits[i];
  }
  EXPECT_EQ(clock.waits[4], seconds(3600) - waited);
  EXPECT_EQ(sweeps_, 2);  // retries never sweep; the interval does
  EXPECT_EQ(clock.waits[5], seconds(3600));
}

TEST_F(DaemonTest, OnceSweepsOnceRecordsStopAndReportsTheUpload) {
  FakeClock clock(1);
  DaemonOptions options;
  options.once = true;
  auto daemon = Make(options, &clock, /*failures=*/1);
  ASSERT_TRUE(daemon->Run().ok());
  EXPECT_EQ(sweeps_, 1);
  EXPECT_EQ(uploads_, 1);
  EXPECT_TRUE(clock.waits.empty());
  EXPECT_EQ(daemon->last_upload().code(), Status::Code::kUnavailable);
  const std::vector<std::string> ids = CheckIds();
  EXPECT_EQ(ids.back(), "agent.lifecycle.stop");
}

TEST_F(DaemonTest, HeartbeatsComeOnTheirScheduleWhetherOrNotAnythingChanged) {
  FakeClock clock(5);
  DaemonOptions options;
  options.interval = seconds(3600);
  options.heartbeat = seconds(900);
  auto daemon = Make(options, &clock);
  ASSERT_TRUE(daemon->Run().ok());
  // Woken for each heartbeat between sweeps, not only for sweeps.
  EXPECT_EQ(clock.waits, std::vector<milliseconds>(5, seconds(900)));
  EXPECT_EQ(sweeps_, 2);
  std::vector<v1::Evidence> heartbeats;
  for (const v1::Evidence& e : Records()) {
    if (e.check_id() == "agent.heartbeat") heartbeats.push_back(e);
  }
  // At 15, 30, 45 and 60 minutes; none at the start, which the sweep covers.
  ASSERT_EQ(heartbeats.size(), 4u);
  const v1::Evidence& beat = heartbeats[0];
  EXPECT_EQ(beat.kind(), v1::LIFECYCLE);
  EXPECT_EQ(beat.verdict(), v1::INFO);
  EXPECT_EQ(beat.collector(), "agent");
  const auto& facts = beat.facts().fields();
  EXPECT_EQ(facts.at("heartbeat_seconds").number_value(), 900);
  EXPECT_EQ(facts.at("last_sweep_at").string_value(), "2023-11-14T22:13:20Z");
  EXPECT_EQ(facts.at("collector_errors").list_value().values_size(), 0);
  EXPECT_EQ(facts.at("certificate_expires_at").kind_case(), google::protobuf::Value::kNullValue);
  const auto& outbox = facts.at("outbox").struct_value().fields();
  // Uploads here delete nothing: the sweep's two records wait, since 15 minutes.
  EXPECT_EQ(outbox.at("records").number_value(), 2);
  EXPECT_EQ(outbox.at("awaiting_inclusion").number_value(), 0);
  EXPECT_EQ(outbox.at("oldest_record_age_seconds").number_value(), 900);
  EXPECT_EQ(heartbeats[3].facts().fields().at("last_sweep_at").string_value(),
            "2023-11-14T23:13:20Z");
}

TEST_F(DaemonTest, HeartbeatsReportCollectorErrorsAndAnUnreadableCertificate) {
  FakeClock clock(2);
  DaemonOptions options;
  options.interval = seconds(3600);
  options.heartbeat = seconds(60);
  options.certificate_file = tmp_.Path("missing.crt");
  options.sweep_memory_file = dir_->sweep_memory_file();
  Daemon daemon(
      options, recorder_.get(), &dir_->outbox(), dir_->identity().key, &clock,
      [](collectors::SweepMemory*) {
        CollectedCheck check;
        check.collector = "test";
        check.observation.check_id = "test.broken";
        check.observation.verdict = collectors::Verdict::kError;
        check.observation.message = "cannot read";
        return std::vector<CollectedCheck>{check};
      },
      [] { return Status::OK(); });
  ASSERT_TRUE(daemon.Run().ok());
  const std::vector<v1::Evidence> records = Records();
  auto beat = std::find_if(records.begin(), records.end(),
                           [](const v1::Evidence& e) { return e.check_id() == "agent.heartbeat"; });
  ASSERT_NE(beat, records.end());
  const auto& facts = beat->facts().fields();
  const auto& errors = facts.at("collector_errors").list_value().values();
  ASSERT_EQ(errors.size(), 1);
  EXPECT_EQ(errors[0].struct_value().fields().at("check_id").string_value(), "test.broken");
  EXPECT_NE(facts.at("certificate_error").string_value().find("missing.crt"), std::string::npos);
}

TEST_F(DaemonTest, OnceWaitsForTheLogToIncludeWhatTheStoreAcknowledged) {
  FakeClock clock(10);
  DaemonOptions options;
  options.once = true;
  options.inclusion_poll = milliseconds(5000);
  auto daemon = Make(options, &clock);
  // The store acknowledges everything at once; its log includes it on the
  // third look.
  store_ = [this] {
    Outbox& outbox = dir_->outbox();
    if (uploads_ == 1) return outbox.MarkAcked(outbox.Position().head.seq, 1);
    if (uploads_ == 3) return outbox.Delete(*outbox.AckedSeqs());
    return Status::OK();
  };
  ASSERT_TRUE(daemon->Run().ok());
  EXPECT_EQ(uploads_, 3);
  EXPECT_EQ(clock.waits, std::vector<milliseconds>(2, milliseconds(5000)));
  EXPECT_TRUE(daemon->last_upload().ok());
  EXPECT_EQ(dir_->outbox().Depth(), 0u);
}

TEST_F(DaemonTest, OnceStopsWaitingForInclusionOnASignalOrAnIncident) {
  DaemonOptions options;
  options.once = true;
  store_ = [this] {
    Outbox& outbox = dir_->outbox();
    return outbox.MarkAcked(outbox.Position().head.seq, 1);
  };
  FakeClock signalled(1);
  auto daemon = Make(options, &signalled);
  ASSERT_TRUE(daemon->Run().ok());
  EXPECT_EQ(uploads_, 1);
  EXPECT_EQ(daemon->last_upload().code(), Status::Code::kUnavailable);
  EXPECT_NE(daemon->last_upload().message().find("not yet included"), std::string::npos);

  // The witness's incident ends the wait with its own status.
  store_ = [] { return Status::Corruption("the store's log: checkpoints are not consistent"); };
  FakeClock clock(10);
  uploads_ = 0;
  auto second = Make(options, &clock);
  ASSERT_TRUE(second->Run().ok());
  EXPECT_EQ(uploads_, 1);
  EXPECT_EQ(second->last_upload().code(), Status::Code::kCorruption);
}

TEST_F(DaemonTest, TheDaemonLooksAgainSoonWhileRecordsAwaitInclusion) {
  FakeClock clock(2);
  DaemonOptions options;
  options.interval = seconds(3600);
  options.inclusion_poll = milliseconds(5000);
  store_ = [this] {
    Outbox& outbox = dir_->outbox();
    return uploads_ == 1 ? outbox.MarkAcked(outbox.Position().head.seq, 1)
                         : outbox.Delete(*outbox.AckedSeqs());
  };
  auto daemon = Make(options, &clock);
  ASSERT_TRUE(daemon->Run().ok());
  ASSERT_EQ(clock.waits.size(), 2u);
  EXPECT_EQ(clock.waits[0], milliseconds(5000));
  EXPECT_EQ(clock.waits[1], seconds(3600) - milliseconds(5000));
}

TEST_F(DaemonTest, TheSweepMemoryIsSavedWhenItChanges) {
  RunEvery(seconds(60), 3);
  const std::string path = dir_->sweep_memory_file();
  auto saved = LoadSweepMemory(path);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->All()["test"]["sweeps"], 3);

  // A new daemon starts from what was saved, and does not rewrite a memory
  // its sweeps left unchanged (the daemon writes it compact).
  const std::string pretty = saved->All().dump(2);
  ASSERT_TRUE(platform::WriteFileAtomic(path, pretty, 0600).ok());
  memory_changes_ = false;
  RunEvery(seconds(60), 2);
  EXPECT_EQ(remembered_, 3);
  EXPECT_EQ(testing::ReadFileOrEmpty(path), pretty);
}

TEST_F(DaemonTest, StartNamesTheFilesAndAChangeSaysWhichChanged) {
  const ConfigFingerprint first{"d1", {{"/etc/shoko/agent.yaml", "aa"}, {"/c/site.yaml", "bb"}}};
  FakeClock clock(1);
  auto daemon = Make(DaemonOptions(), &clock);
  ASSERT_TRUE(daemon->Start({{"mode", "once"}}, first).ok());
  // The same config again: no config_change.
  ASSERT_TRUE(Make(DaemonOptions(), &clock)->Start({}, first).ok());
  const ConfigFingerprint second{
      "d2", {{"/etc/shoko/agent.yaml", "aa"}, {"/c/site.yaml", "cc"}, {"/c/new.yaml", "dd"}}};
  ASSERT_TRUE(Make(DaemonOptions(), &clock)->Start({}, second).ok());

  const std::vector<v1::Evidence> records = Records();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].check_id(), "agent.lifecycle.start");
  const auto& start = records[0].facts().fields();
  EXPECT_EQ(start.at("config_digest").string_value(), "d1");
  const auto& files = start.at("files").list_value().values();
  ASSERT_EQ(files.size(), 2);
  EXPECT_EQ(files[1].struct_value().fields().at("path").string_value(), "/c/site.yaml");
  EXPECT_EQ(files[1].struct_value().fields().at("sha256").string_value(), "bb");
  EXPECT_EQ(records[1].check_id(), "agent.lifecycle.start");
  EXPECT_EQ(records[2].check_id(), "agent.lifecycle.start");
  EXPECT_EQ(records[3].check_id(), "agent.lifecycle.config_change");
  const auto& change = records[3].facts().fields();
  EXPECT_EQ(change.at("previous_config_digest").string_value(), "d1");
  EXPECT_EQ(change.at("config_digest").string_value(), "d2");
  const auto& changed = change.at("files_changed").list_value().values();
  ASSERT_EQ(changed.size(), 1);
  EXPECT_EQ(changed[0].struct_value().fields().at("path").string_value(), "/c/site.yaml");
  EXPECT_EQ(changed[0].struct_value().fields().at("previous_sha256").string_value(), "bb");
  EXPECT_EQ(changed[0].struct_value().fields().at("sha256").string_value(), "cc");
  const auto& added = change.at("files_added").list_value().values();
  ASSERT_EQ(added.size(), 1);
  EXPECT_EQ(added[0].struct_value().fields().at("path").string_value(), "/c/new.yaml");
  EXPECT_EQ(change.at("files_removed").list_value().values_size(), 0);
}

}  // namespace
}  // namespace shoko::agent
