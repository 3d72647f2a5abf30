#include "agent/recorder.h"

#include <map>

#include "evidence/encoding.h"
#include "evidence/envelope.h"
#include "shoko/version.h"

namespace shoko::agent {
namespace {

v1::Verdict ToProto(collectors::Verdict v) {
  switch (v) {
    case collectors::Verdict::kPass: return v1::PASS;
    case collectors::Verdict::kFail: return v1::FAIL;
    case collectors::Verdict::kNotApplicable: return v1::NOT_APPLICABLE;
    case collectors::Verdict::kError: return v1::ERROR;
    case collectors::Verdict::kInfo: return v1::INFO;
  }
  return v1::ERROR;
}

void SetTimestamp(int64_t micros, google::protobuf::Timestamp* ts) {
  ts->set_seconds(micros / 1000000);
  ts->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
}

}  // namespace

void JsonToValue(const nlohmann::json& json, google::protobuf::Value* out) {
  switch (json.type()) {
    case nlohmann::json::value_t::null: out->set_null_value(google::protobuf::NULL_VALUE); break;
    case nlohmann::json::value_t::boolean: out->set_bool_value(json.get<bool>()); break;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: out->set_number_value(json.get<double>()); break;
    case nlohmann::json::value_t::string: out->set_string_value(json.get<std::string>()); break;
    case nlohmann::json::value_t::array: {
      auto* list = out->mutable_list_value();
      for (const auto& item : json) JsonToValue(item, list->add_values());
      break;
    }
    case nlohmann::json::value_t::object: JsonToStruct(json, out->mutable_struct_value()); break;
    default: out->set_null_value(google::protobuf::NULL_VALUE); break;
  }
}

void JsonToStruct(const nlohmann::json& json, google::protobuf::Struct* out) {
  if (!json.is_object()) return;
  for (const auto& [key, value] : json.items()) JsonToValue(value, &(*out->mutable_fields())[key]);
}

v1::Evidence Recorder::Build(const CollectedCheck& check, int64_t collected_at_us) const {
  const collectors::Observation& obs = check.observation;
  v1::Evidence ev;
  ev.set_agent_id(context_.agent_id);
  ev.set_key_id(key_.public_key().KeyId());
  SetTimestamp(collected_at_us, ev.mutable_collected_at());
  ev.set_refresh_seconds(context_.refresh_seconds);
  v1::Host* host = ev.mutable_host();
  host->set_hostname(context_.host.hostname);
  host->set_machine_id(context_.host.machine_id);
  host->set_os_id(context_.host.os_id);
  host->set_os_version(context_.host.os_version);
  host->set_kernel(context_.host.kernel);
  *ev.mutable_labels() = context_.labels;
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
    ev.mutable_baseline()->set_id(context_.baseline_id);
    JsonToStruct(obs.expected, ev.mutable_baseline()->mutable_expected());
  }
  ev.set_agent_version(kShokoVersion);
  ev.set_catalog_version(context_.catalog_version);
  ev.set_kind(v1::OBSERVATION);
  ev.set_message(obs.message);
  return ev;
}

Result<size_t> Recorder::Record(const std::vector<CollectedCheck>& checks,
                                int64_t collected_at_us) {
  evidence::ChainHead head = outbox_->Head();
  std::vector<OutboxRecord> batch;
  std::map<std::string, std::string> observation_digests;  // check_id → hex digest
  for (const CollectedCheck& check : checks) {
    v1::Evidence ev = Build(check, collected_at_us);
    const std::string& parent = check.observation.observation_check_id;
    if (!parent.empty()) {
      auto it = observation_digests.find(parent);
      if (it != observation_digests.end()) {
        (*ev.mutable_facts()->mutable_fields())["observation_digest"].set_string_value(it->second);
      }
    }
    ev.set_seq(head.seq + 1);
    ev.set_prev_digest(head.digest);
    std::string payload;
    if (!ev.SerializeToString(&payload)) return Status::Internal("cannot serialize evidence");
    std::string digest = evidence::RecordDigest(payload);
    auto envelope = evidence::Sign(key_, std::move(payload));
    if (!envelope.ok()) return envelope.status();
    OutboxRecord record;
    record.seq = ev.seq();
    record.digest = digest;
    if (!envelope->SerializeToString(&record.envelope)) {
      return Status::Internal("cannot serialize envelope");
    }
    batch.push_back(std::move(record));
    if (parent.empty()) observation_digests[ev.check_id()] = evidence::HexEncode(digest);
    head.seq = ev.seq();
    head.digest = digest;
  }
  SHOKO_RETURN_IF_ERROR(outbox_->Append(batch));
  return batch.size();
}

}  // namespace shoko::agent
