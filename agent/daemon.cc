#include "agent/daemon.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "agent/enrollment.h"
#include "agent/log.h"
#include "evidence/envelope.h"
#include "platform/time_format.h"

namespace shoko::agent {
namespace {

// When the oldest record the outbox holds was collected; none when it is empty.
std::optional<int64_t> OldestCollectedAt(const Outbox& outbox) {
  auto oldest = outbox.ReadAfter(0, 1);
  v1::Envelope envelope;
  if (!oldest.ok() || oldest->empty() || !envelope.ParseFromString(oldest->front().envelope)) {
    return std::nullopt;
  }
  auto record = evidence::ParseEvidence(envelope.payload());
  if (!record.ok()) return std::nullopt;
  return record->collected_at().seconds() * 1000000 + record->collected_at().nanos() / 1000;
}

}  // namespace

std::chrono::milliseconds RetryPolicy::Ceiling(int failures) const {
  // 2^20 is far past any sensible cap; the bound keeps the shift defined.
  return std::min<std::chrono::milliseconds>(max,
                                             initial * (int64_t{1} << std::clamp(failures, 0, 20)));
}

std::chrono::milliseconds RetryPolicy::Delay(int failures, std::mt19937_64& random) const {
  std::uniform_int_distribution<int64_t> pick(0, Ceiling(failures).count());
  return std::chrono::milliseconds(pick(random));
}

SignalClock::SignalClock() {
  sigemptyset(&stop_signals_);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&stop_signals_, sig);
  pthread_sigmask(SIG_BLOCK, &stop_signals_, nullptr);
}

int64_t SignalClock::WallMicros() const { return platform::WallClockMicros(); }

Result<int> SignalClock::WaitUntil(TimePoint deadline) {
  auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::max(deadline - Now(), std::chrono::steady_clock::duration(0)));
  timespec wait{static_cast<time_t>(left.count() / 1000000000),
                static_cast<long>(left.count() % 1000000000)};
  int sig = sigtimedwait(&stop_signals_, nullptr, &wait);
  if (sig > 0) return sig;
  if (errno == EAGAIN || errno == EINTR) return 0;
  return Status::FromErrno("sigtimedwait", errno);
}

Daemon::Daemon(DaemonOptions options, Recorder* recorder, Outbox* outbox,
               const evidence::SigningKey& key, DaemonClock* clock, SweepStep sweep,
               UploadStep upload)
    : options_(std::move(options)),
      recorder_(recorder),
      outbox_(outbox),
      key_(key),
      clock_(clock),
      sweep_(std::move(sweep)),
      upload_(std::move(upload)),
      random_(options_.random_seed != 0 ? options_.random_seed : std::random_device{}()) {}

Status Daemon::Start(nlohmann::json start_facts, const ConfigFingerprint& config) {
  start_facts["config_digest"] = config.digest;
  start_facts["files"] = FilesToJson(config.files);
  SHOKO_RETURN_IF_ERROR(
      recorder_->RecordLifecycle("start", start_facts, key_, clock_->WallMicros()).status());
  SHOKO_ASSIGN_OR_RETURN(const std::string previous_digest, outbox_->Meta("config_digest"));
  SHOKO_ASSIGN_OR_RETURN(const std::string previous_files, outbox_->Meta("config_files"));
  if (!previous_digest.empty() && previous_digest != config.digest) {
    SHOKO_RETURN_IF_ERROR(
        recorder_
            ->RecordLifecycle(
                "config_change",
                ConfigChangeFacts(previous_digest, FilesFromJson(previous_files), config), key_,
                clock_->WallMicros())
            .status());
  }
  SHOKO_RETURN_IF_ERROR(outbox_->SetMeta("config_digest", config.digest));
  return outbox_->SetMeta("config_files", FilesToJson(config.files).dump());
}

Status Daemon::Run() {
  LoadMemory();
  std::string stop_reason = "once";
  auto next_sweep = clock_->Now();
  // The start record and the first sweep say the agent is alive; the first
  // heartbeat is due one heartbeat later.
  auto next_heartbeat = clock_->Now() + options_.heartbeat;
  int failures = 0;  // uploads failed in a row
  for (;;) {
    // Between sweeps only retries happen: the sweep's records wait in the outbox.
    if (options_.once || clock_->Now() >= next_sweep) {
      next_sweep = clock_->Now() + options_.interval;
      SHOKO_RETURN_IF_ERROR(Sweep());
      if (options_.once) break;
    }
    SHOKO_RETURN_IF_ERROR(HeartbeatIfDue(&next_heartbeat));
    auto wake = options_.heartbeat.count() > 0 ? std::min(next_sweep, next_heartbeat) : next_sweep;
    last_upload_ = upload_();
    if (!last_upload_.ok()) {
      wake = std::min(wake, clock_->Now() + options_.retry.Delay(failures++, random_));
    } else {
      failures = 0;
      if (outbox_->AwaitingInclusion() > 0) {
        wake = std::min(wake, clock_->Now() + options_.inclusion_poll);
      }
    }
    SHOKO_ASSIGN_OR_RETURN(const int sig, clock_->WaitUntil(wake));
    if (sig > 0) {
      Log("stopping on signal " + std::to_string(sig));
      stop_reason = "signal " + std::to_string(sig);
      break;
    }
  }
  SHOKO_RETURN_IF_ERROR(
      recorder_->RecordLifecycle("stop", {{"reason", stop_reason}}, key_, clock_->WallMicros())
          .status());
  last_upload_ = upload_();
  return options_.once ? AwaitInclusion() : Status::OK();
}

Status Daemon::AwaitInclusion() {
  while (last_upload_.ok() && outbox_->AwaitingInclusion() > 0) {
    SHOKO_ASSIGN_OR_RETURN(const int sig,
                           clock_->WaitUntil(clock_->Now() + options_.inclusion_poll));
    if (sig > 0) {
      Log("stopping on signal " + std::to_string(sig));
      last_upload_ = Status::Unavailable(
          std::to_string(outbox_->AwaitingInclusion()) +
          " record(s) acknowledged by the store but not yet included in its log stay in the "
          "outbox");
      break;
    }
    last_upload_ = upload_();
  }
  return Status::OK();
}

Status Daemon::HeartbeatIfDue(DaemonClock::TimePoint* next) {
  if (options_.heartbeat.count() <= 0 || clock_->Now() < *next) return Status::OK();
  *next = clock_->Now() + options_.heartbeat;
  return recorder_->RecordHeartbeat(HeartbeatFacts(), key_, clock_->WallMicros()).status();
}

nlohmann::json Daemon::HeartbeatFacts() const {
  const int64_t now_us = clock_->WallMicros();
  nlohmann::json outbox = {{"records", outbox_->Depth()},
                           {"bytes", outbox_->Bytes()},
                           {"awaiting_inclusion", outbox_->AwaitingInclusion()},
                           {"oldest_record_age_seconds", nullptr}};
  if (const std::optional<int64_t> oldest = OldestCollectedAt(*outbox_)) {
    outbox["oldest_record_age_seconds"] = std::max<int64_t>(0, (now_us - *oldest) / 1000000);
  }
  nlohmann::json facts = {
      {"heartbeat_seconds", options_.heartbeat.count()},
      {"last_sweep_at", last_sweep_us_ > 0 ? nlohmann::json(platform::FormatRfc3339(last_sweep_us_))
                                           : nlohmann::json(nullptr)},
      {"collector_errors", sweep_errors_},
      {"outbox", std::move(outbox)},
      {"certificate_expires_at", nullptr}};
  if (!options_.certificate_file.empty()) {
    auto expiry = CertificateExpiry(options_.certificate_file);
    if (expiry.ok()) {
      facts["certificate_expires_at"] = platform::FormatRfc3339(*expiry);
    } else {
      facts["certificate_error"] = expiry.status().message();
    }
  }
  return facts;
}

Status Daemon::Sweep() {
  std::vector<CollectedCheck> checks = sweep_(&memory_);
  SaveMemoryIfChanged();
  last_sweep_us_ = clock_->WallMicros();
  sweep_errors_ = CollectorErrors(checks);
  auto stats = recorder_->RecordSweep(checks, key_, clock_->WallMicros());
  if (!stats.ok()) return stats.status().WithContext("recording");
  Log("recorded " + std::to_string(stats->recorded) + " record(s) through seq " +
      std::to_string(outbox_->Position().head.seq) + " (" + std::to_string(stats->unchanged) +
      " check(s) unchanged)");
  if (stats->not_recorded > 0) {
    Log("WARNING: outbox full (" + std::to_string(outbox_->Depth()) + " records, " +
        std::to_string(outbox_->Bytes()) + " bytes): " + std::to_string(stats->not_recorded) +
        " observation(s) not recorded; a GAP record will say so once there is room");
  }
  return Status::OK();
}

void Daemon::LoadMemory() {
  if (auto loaded = LoadSweepMemory(options_.sweep_memory_file); loaded.ok()) {
    memory_ = std::move(loaded).value();
  } else {
    Log("WARNING: " + loaded.status().message() + "; starting with an empty sweep memory");
  }
  memory_saved_ = memory_.All();
}

void Daemon::SaveMemoryIfChanged() {
  if (memory_.All() == memory_saved_) return;
  if (Status s = SaveSweepMemory(options_.sweep_memory_file, memory_); !s.ok()) {
    Log("WARNING: cannot keep the sweep memory: " + s.message());
  }
  memory_saved_ = memory_.All();
}

}  // namespace shoko::agent
