#include "agent/recorder.h"

#include <algorithm>
#include <map>
#include <optional>
#include <thread>

#include "evidence/chain.h"
#include "evidence/encoding.h"
#include "evidence/envelope.h"
#include "evidence/rotation.h"
#include "platform/text_table.h"
#include "platform/time_format.h"
#include "shoko/version.h"

namespace shoko::agent {
namespace {

v1::Verdict ToProto(collectors::Verdict v) {
  switch (v) {
    case collectors::Verdict::kPass:
      return v1::PASS;
    case collectors::Verdict::kFail:
      return v1::FAIL;
    case collectors::Verdict::kNotApplicable:
      return v1::NOT_APPLICABLE;
    case collectors::Verdict::kError:
      return v1::ERROR;
    case collectors::Verdict::kInfo:
      return v1::INFO;
  }
  return v1::ERROR;
}

void SetTimestamp(int64_t micros, google::protobuf::Timestamp* ts) {
  int64_t secs = micros / 1000000, rem = micros % 1000000;
  if (rem < 0) {
    --secs;
    rem += 1000000;
  }
  ts->set_seconds(secs);
  ts->set_nanos(static_cast<int32_t>(rem) * 1000);
}

void SetCommon(const RecordContext& context, int64_t at_us, v1::Evidence* ev) {
  SetTimestamp(at_us, ev->mutable_collected_at());
  ev->set_refresh_seconds(context.refresh_seconds);
  v1::Host* host = ev->mutable_host();
  host->set_hostname(context.host.hostname);
  host->set_machine_id(context.host.machine_id);
  host->set_os_id(context.host.os_id);
  host->set_os_version(context.host.os_version);
  host->set_kernel(context.host.kernel);
  *ev->mutable_labels() = context.labels;
  ev->set_agent_version(kShokoVersion);
  ev->set_catalog_version(context.catalog_version);
}

// The agent's own records take their controls from the mapping, by check id.
void MapControls(const RecordContext& context, v1::Evidence* ev) {
  ev->clear_controls();
  if (context.mapping == nullptr) return;
  for (const std::string& ref : context.mapping->RefsFor(ev->check_id())) ev->add_controls(ref);
}

}  // namespace

RecordContext MakeRecordContext(const std::string& agent_id, const AgentConfig& config,
                                const SweepSetup* setup) {
  RecordContext context;
  context.agent_id = agent_id;
  context.labels.set_service(config.label_service);
  context.labels.set_group(config.label_group);
  context.labels.set_environment(config.label_environment);
  context.refresh_seconds = static_cast<uint64_t>(config.refresh.count());
  context.signing_threads = config.signing_threads;
  if (setup != nullptr) {
    context.host = platform::ReadHostIdentity(*setup->env);
    context.baseline_id = setup->baseline().id();
    context.catalog_version = setup->mapping().version();
    context.mapping = &setup->mapping();
  }
  return context;
}

void JsonToValue(const nlohmann::json& json, google::protobuf::Value* out) {
  switch (json.type()) {
    case nlohmann::json::value_t::null:
      out->set_null_value(google::protobuf::NULL_VALUE);
      break;
    case nlohmann::json::value_t::boolean:
      out->set_bool_value(json.get<bool>());
      break;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      out->set_number_value(json.get<double>());
      break;
    case nlohmann::json::value_t::string:
      out->set_string_value(json.get<std::string>());
      break;
    case nlohmann::json::value_t::array: {
      auto* list = out->mutable_list_value();
      for (const auto& item : json) JsonToValue(item, list->add_values());
      break;
    }
    case nlohmann::json::value_t::object:
      JsonToStruct(json, out->mutable_struct_value());
      break;
    default:
      out->set_null_value(google::protobuf::NULL_VALUE);
      break;
  }
}

void JsonToStruct(const nlohmann::json& json, google::protobuf::Struct* out) {
  if (!json.is_object()) return;
  for (const auto& [key, value] : json.items()) JsonToValue(value, &(*out->mutable_fields())[key]);
}

std::string FactsDigest(const nlohmann::json& facts) {
  // nlohmann's objects are key-sorted, so dump() is canonical.
  if (!facts.is_object() || !facts.contains("gauges")) return platform::Sha256(facts.dump());
  nlohmann::json copy = facts;
  copy.erase("gauges");
  return platform::Sha256(copy.dump());
}

Result<std::string> ChainSigner::Link(v1::Evidence record, const evidence::SigningKey& key) {
  record.set_agent_id(agent_id_);
  record.set_key_id(key.public_key().KeyId());
  record.set_seq(position_.head.seq + 1);
  record.set_prev_digest(position_.head.digest);
  Pending p;
  if (!record.SerializeToString(&p.payload)) return Status::Internal("cannot serialize evidence");
  p.record.seq = record.seq();
  p.record.digest = evidence::RecordDigest(p.payload);
  p.record.observation = record.kind() == v1::OBSERVATION;
  position_.head = {p.record.seq, p.record.digest};
  position_.key_id = key.public_key().KeyId();
  pending_.push_back(std::move(p));
  return pending_.back().record.digest;
}

uint64_t ChainSigner::PendingBytes() const {
  uint64_t bytes = 0;
  // An envelope adds the payload type, the keyid and a 64-byte signature.
  for (const Pending& p : pending_) bytes += p.payload.size() + 180;
  return bytes;
}

Result<std::vector<OutboxRecord>> ChainSigner::Finish(const evidence::SigningKey& key) {
  std::vector<Pending> pending = std::move(pending_);
  pending_.clear();
  std::vector<Status> failures(pending.size());
  auto sign_range = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      auto envelope = evidence::Sign(key, std::move(pending[i].payload));
      if (!envelope.ok()) {
        failures[i] = envelope.status();
      } else if (!envelope->SerializeToString(&pending[i].record.envelope)) {
        failures[i] = Status::Internal("cannot serialize envelope");
      }
    }
  };
  // Signing dominates the cost of a record and each signature is independent
  // of the others, so large batches use every core.
  size_t threads = 1;
  if (pending.size() >= kParallelSigning) {
    threads = std::max(1u, std::thread::hardware_concurrency());
    if (signing_threads_ != 0) threads = std::min(threads, signing_threads_);
  }
  if (threads <= 1) {
    sign_range(0, pending.size());
  } else {
    std::vector<std::thread> workers;
    const size_t chunk = (pending.size() + threads - 1) / threads;
    for (size_t t = 1; t < threads; ++t) {
      size_t begin = std::min(pending.size(), t * chunk);
      size_t end = std::min(pending.size(), begin + chunk);
      workers.emplace_back(sign_range, begin, end);
    }
    sign_range(0, std::min(pending.size(), chunk));
    for (std::thread& w : workers) w.join();
  }
  std::vector<OutboxRecord> out;
  out.reserve(pending.size());
  for (size_t i = 0; i < pending.size(); ++i) {
    if (!failures[i].ok()) return failures[i];
    out.push_back(std::move(pending[i].record));
  }
  return out;
}

Result<OutboxRecord> ChainSigner::Sign(v1::Evidence record, const evidence::SigningKey& key) {
  auto linked = Link(std::move(record), key);
  if (!linked.ok()) return linked.status();
  auto records = Finish(key);
  if (!records.ok()) return records.status();
  return std::move(records->front());
}

v1::Evidence BuildRecord(const RecordContext& context, const CollectedCheck& check,
                         int64_t collected_at_us) {
  const collectors::Observation& obs = check.observation;
  v1::Evidence ev;
  SetCommon(context, collected_at_us, &ev);
  ev.set_collector(check.collector);
  ev.set_check_id(obs.check_id);
  for (const std::string& ref : check.controls) ev.add_controls(ref);
  ev.set_verdict(ToProto(obs.verdict));
  JsonToStruct(obs.facts, ev.mutable_facts());
  for (const collectors::Artifact& a : obs.artifacts) {
    v1::Artifact* pa = ev.add_artifacts();
    pa->set_path(a.path);
    pa->set_sha256(a.sha256);
    pa->set_size(a.size);
    pa->set_mode(a.mode);
    pa->set_uid(a.uid);
    pa->set_gid(a.gid);
    SetTimestamp(a.mtime_us, pa->mutable_mtime());
  }
  if (!obs.expected.is_null()) {
    ev.mutable_baseline()->set_id(context.baseline_id);
    JsonToStruct(obs.expected, ev.mutable_baseline()->mutable_expected());
  }
  ev.set_kind(v1::OBSERVATION);
  ev.set_message(obs.message);
  return ev;
}

v1::Evidence BuildLifecycle(const RecordContext& context, std::string_view event,
                            const nlohmann::json& facts, int64_t at_us) {
  v1::Evidence ev;
  SetCommon(context, at_us, &ev);
  ev.set_collector("agent");
  ev.set_check_id(std::string(kLifecyclePrefix) + std::string(event));
  MapControls(context, &ev);
  ev.set_verdict(v1::INFO);
  ev.set_kind(v1::LIFECYCLE);
  nlohmann::json all = facts;
  all["event"] = event;
  JsonToStruct(all, ev.mutable_facts());
  ev.set_message("agent " + std::string(event));
  return ev;
}

v1::Evidence BuildRotation(const RecordContext& context, const evidence::SigningKey& current,
                           const evidence::PublicKey& next, int64_t at_us) {
  v1::Evidence ev = BuildLifecycle(context, "key_rotation",
                                   {{"old_key_id", current.public_key().KeyId()}}, at_us);
  evidence::SetRotationFacts(next, &ev);
  ev.set_message("signing key rotated to " + next.KeyId());
  return ev;
}

Result<std::string> RecordBatch::Link(v1::Evidence record, const evidence::SigningKey& key) {
  std::string check_id = record.check_id();
  SHOKO_ASSIGN_OR_RETURN(std::string digest, signer_.Link(std::move(record), key));
  digests_[std::move(check_id)] = platform::HexEncode(digest);
  return digest;
}

v1::Evidence RecordBatch::BuildCheck(const RecordContext& context, const CollectedCheck& check,
                                     int64_t collected_at_us) const {
  v1::Evidence ev = BuildRecord(context, check, collected_at_us);
  const std::string& parent = check.observation.observation_check_id;
  if (auto it = digests_.find(parent); !parent.empty() && it != digests_.end()) {
    (*ev.mutable_facts()->mutable_fields())["observation_digest"].set_string_value(it->second);
  }
  return ev;
}

namespace {

// The GAP record for what a full outbox could not take.
v1::Evidence BuildGap(const RecordContext& context, const PendingGap& gap, int64_t now_us) {
  v1::Evidence ev = BuildLifecycle(context, "gap", {}, now_us);
  ev.set_check_id(kGapCheckId);
  MapControls(context, &ev);
  ev.set_kind(v1::GAP);
  ev.set_verdict(v1::FAIL);
  const std::string from = platform::FormatRfc3339(gap.first_us);
  const std::string to = platform::FormatRfc3339(gap.last_us);
  nlohmann::json facts = {
      {"reason", "outbox full"},
      {"checks", std::vector<std::string>(gap.checks.begin(), gap.checks.end())},
      {"observations_not_recorded", gap.count},
      {"from", from},
      {"to", to}};
  ev.clear_facts();
  JsonToStruct(facts, ev.mutable_facts());
  ev.set_message(
      std::to_string(gap.count) + " observation(s) of " + std::to_string(gap.checks.size()) +
      " check(s) were not recorded while the outbox was full, from " + from + " to " + to);
  return ev;
}

// The agent's own health: collector errors and the outbox's state.
CollectedCheck HealthCheck(const RecordContext& context, const nlohmann::json& errors,
                           const Outbox& outbox, bool gap_pending) {
  const bool full = !outbox.HasRoom(1, 0);
  CollectedCheck check;
  check.collector = "agent";
  check.observation.check_id = kHealthCheckId;
  if (context.mapping != nullptr) check.controls = context.mapping->RefsFor(kHealthCheckId);
  check.observation.facts = {
      {"collector_errors", errors},
      {"outbox", {{"state", full ? "full" : "ok"}, {"gap_pending", gap_pending}}},
      {"gauges",
       {{"outbox_records", outbox.Depth()},
        {"outbox_bytes", outbox.Bytes()},
        {"max_records", outbox.limits().max_records},
        {"max_bytes", outbox.limits().max_bytes}}}};
  const bool pass = errors.empty() && !full && !gap_pending;
  check.observation.verdict = pass ? collectors::Verdict::kPass : collectors::Verdict::kFail;
  check.observation.message =
      gap_pending      ? "outbox full: observations are not being recorded"
      : full           ? "outbox full: new observations will wait for the store to acknowledge"
      : errors.empty() ? "all collectors ran; outbox has room"
                       : std::to_string(errors.size()) + " check(s) ended in error";
  return check;
}

}  // namespace

nlohmann::json CollectorErrors(const std::vector<CollectedCheck>& checks) {
  nlohmann::json errors = nlohmann::json::array();
  for (const CollectedCheck& c : checks) {
    if (c.observation.verdict == collectors::Verdict::kError) {
      errors.push_back({{"check_id", c.observation.check_id}, {"message", c.observation.message}});
    }
  }
  return errors;
}

// One sweep's records, the change-detection state they leave, and what
// decides which checks are due.
class Recorder::SweepBatch {
 public:
  SweepBatch(const Recorder& recorder, std::map<std::string, CheckState> states,
             const evidence::SigningKey& key, int64_t now_us)
      : recorder_(recorder), states_(std::move(states)), key_(key), now_us_(now_us) {
    Reset();
  }

  // Whether `check_id` changed (verdict or facts) or is due for a refresh.
  bool Due(const std::string& check_id, int verdict, const std::string& facts_digest) const {
    const int64_t refresh_us = static_cast<int64_t>(recorder_.context_.refresh_seconds) * 1000000;
    auto it = states_.find(check_id);
    return it == states_.end() || it->second.verdict != verdict ||
           it->second.facts_digest != facts_digest ||
           now_us_ - it->second.recorded_at_us >= refresh_us;
  }
  // Links `ev`; with a facts digest, its change-detection state goes too.
  Status Add(v1::Evidence ev, const std::string& facts_digest) {
    const std::string check_id = ev.check_id();
    const int verdict = ev.verdict();
    SHOKO_ASSIGN_OR_RETURN(std::string digest, records_->Link(std::move(ev), key_));
    if (!facts_digest.empty()) {
      batch.checks.push_back({check_id, verdict, facts_digest, now_us_, std::move(digest)});
    }
    return Status::OK();
  }
  Status AddCheck(const CollectedCheck& check, const std::string& facts_digest) {
    return Add(records_->BuildCheck(recorder_.context_, check, now_us_), facts_digest);
  }
  ChainSigner& signer() { return records_->signer(); }
  // Drops everything linked: the chain continues from the outbox's head.
  void Reset() {
    std::map<std::string, std::string> earlier;  // check_id → hex record digest
    for (const auto& [id, state] : states_) earlier[id] = platform::HexEncode(state.record_digest);
    const RecordContext& context = recorder_.context_;
    records_.emplace(
        ChainSigner(context.agent_id, recorder_.outbox_->Position(), context.signing_threads),
        std::move(earlier));
    batch = OutboxBatch();
  }

  OutboxBatch batch;

 private:
  const Recorder& recorder_;
  const std::map<std::string, CheckState> states_;
  const evidence::SigningKey& key_;
  const int64_t now_us_;
  std::optional<RecordBatch> records_;
};

Result<SweepStats> Recorder::RecordSweep(const std::vector<CollectedCheck>& checks,
                                         const evidence::SigningKey& key, int64_t now_us) {
  SweepStats stats;
  SHOKO_ASSIGN_OR_RETURN(auto states, outbox_->CheckStates());
  SweepBatch sweep(*this, std::move(states), key, now_us);
  // The observations due, in collection order, with their facts digests.
  std::vector<std::pair<const CollectedCheck*, std::string>> due;
  const nlohmann::json errors = CollectorErrors(checks);
  for (const CollectedCheck& c : checks) {
    std::string digest = FactsDigest(c.observation.facts);
    if (sweep.Due(c.observation.check_id, ToProto(c.observation.verdict), digest)) {
      due.emplace_back(&c, std::move(digest));
    } else {
      ++stats.unchanged;
    }
  }
  SHOKO_ASSIGN_OR_RETURN(const PendingGap gap, outbox_->LoadPendingGap());
  if (!gap.empty()) {
    SHOKO_RETURN_IF_ERROR(sweep.Add(BuildGap(context_, gap, now_us), ""));
    sweep.batch.clear_pending_gap = true;
  }
  for (const auto& [check, digest] : due) SHOKO_RETURN_IF_ERROR(sweep.AddCheck(*check, digest));
  if (!due.empty() &&
      !outbox_->HasRoom(sweep.signer().PendingCount(), sweep.signer().PendingBytes())) {
    // Never drop what is held; take nothing new, and say so later.
    std::vector<std::string> ids;
    for (const auto& d : due) ids.push_back(d.first->observation.check_id);
    SHOKO_RETURN_IF_ERROR(outbox_->AddToPendingGap(ids, now_us));
    stats.not_recorded = due.size();
    sweep.Reset();
  } else {
    stats.gap_recorded = sweep.batch.clear_pending_gap;
  }
  const bool gap_pending = stats.not_recorded > 0 || (!gap.empty() && !stats.gap_recorded);
  const CollectedCheck health = HealthCheck(context_, errors, *outbox_, gap_pending);
  const std::string health_digest = FactsDigest(health.observation.facts);
  if (sweep.Due(kHealthCheckId, ToProto(health.observation.verdict), health_digest)) {
    // Health is about the agent, so a full outbox still takes it.
    SHOKO_RETURN_IF_ERROR(sweep.AddCheck(health, health_digest));
  }
  if (sweep.signer().PendingCount() == 0) return stats;
  sweep.batch.after = sweep.signer().position();
  SHOKO_ASSIGN_OR_RETURN(sweep.batch.records, sweep.signer().Finish(key));
  SHOKO_RETURN_IF_ERROR(outbox_->Append(sweep.batch));
  stats.recorded = sweep.batch.records.size();
  return stats;
}

Result<uint64_t> Recorder::AppendOne(v1::Evidence record, const evidence::SigningKey& key,
                                     const std::string& next_key_id, bool clears_recovery) {
  // Lifecycle records are taken even when the outbox is full (see HasRoom).
  ChainSigner signer(context_.agent_id, outbox_->Position(), context_.signing_threads);
  auto signed_record = signer.Sign(std::move(record), key);
  if (!signed_record.ok()) return signed_record.status();
  if (!next_key_id.empty()) signer.HandOver(next_key_id);
  OutboxBatch batch;
  batch.clear_recovery = clears_recovery;
  batch.after = signer.position();
  const uint64_t seq = signed_record->seq;
  batch.records.push_back(std::move(signed_record).value());
  SHOKO_RETURN_IF_ERROR(outbox_->Append(batch));
  return seq;
}

Result<uint64_t> Recorder::RecordLifecycle(std::string_view event, const nlohmann::json& facts,
                                           const evidence::SigningKey& key, int64_t now_us,
                                           v1::Verdict verdict) {
  v1::Evidence record = BuildLifecycle(context_, event, facts, now_us);
  record.set_verdict(verdict);
  return AppendOne(std::move(record), key, "", false);
}

Result<uint64_t> Recorder::RecordHeartbeat(const nlohmann::json& facts,
                                           const evidence::SigningKey& key, int64_t now_us) {
  v1::Evidence record = BuildLifecycle(context_, "heartbeat", facts, now_us);
  record.set_check_id(kHeartbeatCheckId);
  MapControls(context_, &record);
  return AppendOne(std::move(record), key, "", false);
}

Result<uint64_t> Recorder::RecordRecovery(const OutboxRecovery& recovery,
                                          const evidence::SigningKey& key, int64_t now_us) {
  nlohmann::json facts = {{"reason", recovery.reason},
                          {"moved_to", recovery.moved_to},
                          {"continues_after_seq", recovery.head.seq},
                          {"last_acknowledged_seq", recovery.acked_seq}};
  if (recovery.head.seq > recovery.acked_seq) {
    facts["possibly_missing"] = {{"from_seq", recovery.acked_seq + 1},
                                 {"to_seq", recovery.head.seq}};
  }
  return AppendOne(BuildLifecycle(context_, "outbox_recovered", facts, now_us), key, "", true);
}

Result<uint64_t> Recorder::RecordRotation(const evidence::SigningKey& current,
                                          const evidence::PublicKey& next, int64_t now_us) {
  return AppendOne(BuildRotation(context_, current, next, now_us), current, next.KeyId(), false);
}

}  // namespace shoko::agent
