// The recorder turns observations into signed, chained evidence records in the
// outbox (docs/agent-state.md, "Recording a sweep"): only what changed or is
// due for a refresh, the agent's own health, LIFECYCLE records, and one GAP
// record for whatever a full outbox could not take.
#ifndef SHOKO_AGENT_RECORDER_H_
#define SHOKO_AGENT_RECORDER_H_

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "agent/chain_state.h"
#include "agent/config.h"
#include "agent/outbox.h"
#include "agent/sweep.h"
#include "controls/mapping.h"
#include "evidence/keys.h"
#include "platform/host_identity.h"
#include "shoko/v1/evidence.pb.h"

namespace shoko::agent {

inline constexpr char kHealthCheckId[] = "agent.health";
inline constexpr char kGapCheckId[] = "agent.gap";
inline constexpr char kLifecyclePrefix[] = "agent.lifecycle.";
// The daemon's proof of life (docs/evidence-format.md, "Heartbeat records").
inline constexpr char kHeartbeatCheckId[] = "agent.heartbeat";

// What every record of this agent carries besides the observation itself.
struct RecordContext {
  std::string agent_id;
  platform::HostIdentity host;
  v1::Labels labels;
  std::string baseline_id;
  std::string catalog_version;
  uint64_t refresh_seconds = 86400;
  size_t signing_threads = 0;  // cores a large sweep may sign on (0: all)
  // Control refs for the agent's own records (health, gap, lifecycle); none
  // when null.
  const controls::Mapping* mapping = nullptr;
};

// The context of agent `agent_id` with `config`; `setup` (null where there is
// none, as for an offline key rotation) gives the host, baseline and mapping.
// The one place a RecordContext is filled in.
RecordContext MakeRecordContext(const std::string& agent_id, const AgentConfig& config,
                                const SweepSetup* setup);

// Makes records the next links of a chain in two steps: Link sets agent_id,
// key_id, seq and prev_digest and serializes each record once (the chain runs
// over payload digests, so it needs no signature); Finish then signs every
// linked payload, on several cores when there are many. Sign does both for one.
class ChainSigner {
 public:
  // Batches at least this large are signed on every core.
  static constexpr size_t kParallelSigning = 64;

  // `signing_threads`: how many cores Finish may use (0: all of them).
  ChainSigner(std::string agent_id, ChainPosition position, size_t signing_threads = 0)
      : agent_id_(std::move(agent_id)),
        position_(std::move(position)),
        signing_threads_(signing_threads) {}

  // Links `record` as the next record; returns its record digest.
  Result<std::string> Link(v1::Evidence record, const evidence::SigningKey& key);
  // Serialized size of everything linked and not yet finished.
  uint64_t PendingBytes() const;
  size_t PendingCount() const { return pending_.size(); }
  // Signs every linked record, in chain order.
  Result<std::vector<OutboxRecord>> Finish(const evidence::SigningKey& key);
  // Link and Finish for a single record.
  Result<OutboxRecord> Sign(v1::Evidence record, const evidence::SigningKey& key);

  // The position after the last linked record (key_id: the key that signs next).
  const ChainPosition& position() const { return position_; }
  // Names the key that signs next (after a rotation record).
  void HandOver(const std::string& key_id) { position_.key_id = key_id; }

 private:
  struct Pending {
    OutboxRecord record;  // envelope still empty
    std::string payload;
  };
  std::string agent_id_;
  ChainPosition position_;
  size_t signing_threads_;
  std::vector<Pending> pending_;
};

// An unsigned record for one check (seq and chain fields are left to the signer).
v1::Evidence BuildRecord(const RecordContext& context, const CollectedCheck& check,
                         int64_t collected_at_us);
// An unsigned LIFECYCLE record "agent.lifecycle.EVENT".
v1::Evidence BuildLifecycle(const RecordContext& context, std::string_view event,
                            const nlohmann::json& facts, int64_t at_us);

// The key_rotation LIFECYCLE record: signed by `current`, it names `next`,
// which signs every record after it.
v1::Evidence BuildRotation(const RecordContext& context, const evidence::SigningKey& current,
                           const evidence::PublicKey& next, int64_t at_us);

// Records linked as one batch of a chain. A rule record names the record
// digest of its observation (facts.observation_digest): the one linked in
// this batch, or else the one in `earlier` (check_id → hex record digest).
class RecordBatch {
 public:
  explicit RecordBatch(ChainSigner signer, std::map<std::string, std::string> earlier = {})
      : signer_(std::move(signer)), digests_(std::move(earlier)) {}

  // BuildRecord for `check`, naming its observation's record digest.
  v1::Evidence BuildCheck(const RecordContext& context, const CollectedCheck& check,
                          int64_t collected_at_us) const;
  // Links `record` as the next record; returns its record digest.
  Result<std::string> Link(v1::Evidence record, const evidence::SigningKey& key);
  ChainSigner& signer() { return signer_; }

 private:
  ChainSigner signer_;
  std::map<std::string, std::string> digests_;
};

// SHA-256 of a check's facts in canonical JSON, leaving out "gauges": values
// that change on their own (counters, depths) and must not by themselves
// cause a new record.
std::string FactsDigest(const nlohmann::json& facts);

// The checks of a sweep that ended in error, as [{check_id, message}]: what
// agent.health and agent.heartbeat report.
nlohmann::json CollectorErrors(const std::vector<CollectedCheck>& checks);

struct SweepStats {
  size_t recorded = 0;      // records written, GAP and health included
  size_t unchanged = 0;     // checks with nothing new and no refresh due
  size_t not_recorded = 0;  // observations a full outbox could not take
  bool gap_recorded = false;
};

class Recorder {
 public:
  Recorder(RecordContext context, Outbox* outbox) : context_(std::move(context)), outbox_(outbox) {}
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // One sweep, written in one durable transaction: first a GAP record if one
  // is pending and the outbox has room again, then every check whose verdict
  // or facts changed or whose refresh is due, then agent.health. When the
  // observations do not fit, none is written and they join the pending gap.
  Result<SweepStats> RecordSweep(const std::vector<CollectedCheck>& checks,
                                 const evidence::SigningKey& key, int64_t now_us);

  // One LIFECYCLE record (start, stop, config_change, outbox_recovered…);
  // `verdict` INFO but for what reports a failure (a witness incident).
  Result<uint64_t> RecordLifecycle(std::string_view event, const nlohmann::json& facts,
                                   const evidence::SigningKey& key, int64_t now_us,
                                   v1::Verdict verdict = v1::INFO);

  // The agent.heartbeat LIFECYCLE record with `facts`: written on the
  // daemon's schedule, whether or not anything changed.
  Result<uint64_t> RecordHeartbeat(const nlohmann::json& facts, const evidence::SigningKey& key,
                                   int64_t now_us);

  // The outbox_recovered LIFECYCLE record for `recovery`; writing it clears
  // the recovery the outbox keeps until it is reported.
  Result<uint64_t> RecordRecovery(const OutboxRecovery& recovery, const evidence::SigningKey& key,
                                  int64_t now_us);

  // The key_rotation LIFECYCLE record, signed by `current`, naming `next`;
  // from the next seq on the chain expects `next`.
  Result<uint64_t> RecordRotation(const evidence::SigningKey& current,
                                  const evidence::PublicKey& next, int64_t now_us);

  const RecordContext& context() const { return context_; }

 private:
  class SweepBatch;
  Result<uint64_t> AppendOne(v1::Evidence record, const evidence::SigningKey& key,
                             const std::string& next_key_id, bool clears_recovery);

  const RecordContext context_;
  Outbox* outbox_;
};

// nlohmann JSON as google.protobuf.Struct/Value (numbers become doubles).
void JsonToValue(const nlohmann::json& json, google::protobuf::Value* out);
void JsonToStruct(const nlohmann::json& json, google::protobuf::Struct* out);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_RECORDER_H_
