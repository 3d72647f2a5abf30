// The agent's daemon, `shoko-agent run` (docs/architecture.md, "agent/"): a
// sweep every interval, a heartbeat record at least every `heartbeat`, an
// upload after each, failed uploads retried after a random delay, records the
// store acknowledged checked again until its log includes them, a stop signal
// ending it; the lifecycle records start, config_change and stop; the
// collectors' sweep memory kept between sweeps.
// The clock, the sweep and the upload are injected, so the loop is tested
// without a process, a store or collectors.
#ifndef SHOKO_AGENT_DAEMON_H_
#define SHOKO_AGENT_DAEMON_H_

#include <signal.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "agent/config_fingerprint.h"
#include "agent/outbox.h"
#include "agent/recorder.h"
#include "agent/sweep.h"
#include "evidence/keys.h"
#include "platform/status.h"

namespace shoko::agent {

// When to retry a failed upload: after a random delay between 0 and
// initial·2ⁿ (n: failures in a row before this one), capped at max ("full
// jitter"), so that a fleet coming back after an outage does not arrive all
// at once.
// (The defaults are the config's: store.retry_initial, store.retry_max.)
struct RetryPolicy {
  std::chrono::milliseconds initial{};
  std::chrono::milliseconds max{};

  // The longest delay after `failures` earlier failures in a row.
  std::chrono::milliseconds Ceiling(int failures) const;
  // A delay drawn uniformly from [0, Ceiling(failures)].
  std::chrono::milliseconds Delay(int failures, std::mt19937_64& random) const;
};

// The daemon's view of time: a steady clock for the schedule, the wall clock
// for records, and a wait that a stop signal ends early.
class DaemonClock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~DaemonClock() = default;
  virtual TimePoint Now() const = 0;
  virtual int64_t WallMicros() const = 0;
  // Waits until `deadline`; returns the stop signal that ended the wait, or 0
  // when the deadline came.
  virtual Result<int> WaitUntil(TimePoint deadline) = 0;
};

// Real time, and the stop signals (SIGTERM, SIGINT, SIGHUP): blocked in the
// whole process from construction on, so construct it before anything starts
// threads (gRPC does); the wait takes them with sigtimedwait.
class SignalClock final : public DaemonClock {
 public:
  SignalClock();
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  int64_t WallMicros() const override;
  Result<int> WaitUntil(TimePoint deadline) override;

 private:
  sigset_t stop_signals_;
};

// What the daemon takes from the config (agent/config.h has the defaults).
struct DaemonOptions {
  // One sweep, one upload, then stop; the upload is repeated, every
  // inclusion_poll, while the store's log has not yet included what it
  // acknowledged (docs/agent-state.md, "The witness").
  bool once = false;
  std::chrono::seconds interval{};
  // The longest between two agent.heartbeat records (0: none).
  std::chrono::seconds heartbeat{};
  // How soon to look again for the inclusion of acknowledged records: half
  // the store's default checkpoint interval.
  std::chrono::milliseconds inclusion_poll{5000};
  // The agent's TLS certificate, whose expiry the heartbeat reports (empty:
  // plaintext, none).
  std::string certificate_file;
  RetryPolicy retry;
  std::string sweep_memory_file;
  uint64_t random_seed = 0;  // for the retry delays; 0: from std::random_device
};

class Daemon {
 public:
  // One sweep, with the collectors' memory; one upload of the outbox.
  using SweepStep = std::function<std::vector<CollectedCheck>(collectors::SweepMemory* memory)>;
  using UploadStep = std::function<Status()>;

  Daemon(DaemonOptions options, Recorder* recorder, Outbox* outbox, const evidence::SigningKey& key,
         DaemonClock* clock, SweepStep sweep, UploadStep upload);
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Records start (`start_facts` with the config's digest and files added)
  // and, when the config differs from the last run's, config_change naming
  // the files added, removed or changed. The outbox keeps them for the next.
  Status Start(nlohmann::json start_facts, const ConfigFingerprint& config);

  // Sweeps, records heartbeats and uploads until a stop signal (with `once`,
  // after one sweep), then records stop and uploads once more; with `once`,
  // until what the store acknowledged is included in its log. An error is
  // what ended it early.
  Status Run();

  // How the last upload went: with `once`, what the command reports.
  const Status& last_upload() const { return last_upload_; }

 private:
  Status Sweep();
  // The heartbeat record, if one is due (moving `next` on).
  Status HeartbeatIfDue(DaemonClock::TimePoint* next);
  nlohmann::json HeartbeatFacts() const;
  // After the last upload of `once`: uploads again every inclusion_poll
  // while records await inclusion; Unavailable if they still do at a stop.
  Status AwaitInclusion();
  void LoadMemory();
  void SaveMemoryIfChanged();

  const DaemonOptions options_;
  Recorder* recorder_;
  Outbox* outbox_;
  const evidence::SigningKey& key_;
  DaemonClock* clock_;
  SweepStep sweep_;
  UploadStep upload_;
  std::mt19937_64 random_;
  collectors::SweepMemory memory_;
  nlohmann::json memory_saved_;
  Status last_upload_;
  int64_t last_sweep_us_ = 0;                              // 0: none yet
  nlohmann::json sweep_errors_ = nlohmann::json::array();  // of the last sweep
};

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_DAEMON_H_
