// The recorder turns a sweep's observations into signed, chained evidence
// records and appends them to the outbox (design §1, §3).
#ifndef SHOKO_AGENT_RECORDER_H_
#define SHOKO_AGENT_RECORDER_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/outbox.h"
#include "agent/sweep.h"
#include "evidence/keys.h"
#include "platform/host_identity.h"
#include "shoko/v1/evidence.pb.h"

namespace shoko::agent {

// What every record of this agent carries besides the observation itself.
struct RecordContext {
  std::string agent_id;
  platform::HostIdentity host;
  v1::Labels labels;
  std::string baseline_id;
  std::string catalog_version;
  uint64_t refresh_seconds = 86400;
};

class Recorder {
 public:
  Recorder(const evidence::SigningKey& key, RecordContext context, Outbox* outbox)
      : key_(key), context_(std::move(context)), outbox_(outbox) {}
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Signs `checks` (collected at `collected_at_us`) as the next records of the
  // chain and appends them in one durable transaction. A rule record's facts
  // gain `observation_digest`, the record digest of the observation it judges.
  // Returns how many records were written.
  Result<size_t> Record(const std::vector<CollectedCheck>& checks, int64_t collected_at_us);

 private:
  v1::Evidence Build(const CollectedCheck& check, int64_t collected_at_us) const;

  const evidence::SigningKey& key_;
  const RecordContext context_;
  Outbox* outbox_;
};

// nlohmann JSON as google.protobuf.Struct/Value (numbers become doubles).
void JsonToValue(const nlohmann::json& json, google::protobuf::Value* out);
void JsonToStruct(const nlohmann::json& json, google::protobuf::Struct* out);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_RECORDER_H_
