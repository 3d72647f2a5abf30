#include "evidence/bundle.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "evidence/chain.h"
#include "evidence/dsse_json.h"
#include "evidence/encoding.h"
#include "evidence/rotation.h"
#include "platform/digest.h"

namespace shoko::evidence {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// ---- Encoding ---------------------------------------------------------------

OrderedJson HashList(const std::vector<std::string>& hashes) {
  OrderedJson list = OrderedJson::array();
  for (const std::string& h : hashes) list.push_back(Base64Encode(h));
  return list;
}

OrderedJson AgentToJson(const BundleAgent& agent) {
  OrderedJson keys = OrderedJson::array();
  for (const BundleKey& k : agent.keys) {
    keys.push_back({{"key_id", k.key_id},
                    {"public_key", Base64Encode(k.public_key)},
                    {"from_seq", k.from_seq}});
  }
  OrderedJson rotations = OrderedJson::array();
  for (const v1::Envelope& r : agent.rotations) rotations.push_back(DsseToJson(r));
  return {{"agent_id", agent.agent_id},
          {"keys", std::move(keys)},
          {"rotations", std::move(rotations)},
          {"first_seq", agent.first_seq},
          {"last_seq", agent.last_seq}};
}

// ---- Strict decoding --------------------------------------------------------

// A JSON value and where it is in the document, for error messages.
struct At {
  const Json& value;
  std::string path;

  Status Error(std::string_view what) const {
    return Status::InvalidArgument(path + ": " + std::string(what));
  }
  At Child(std::string_view key) const {
    return At{value.at(std::string(key)),
              path.empty() ? std::string(key) : path + "." + std::string(key)};
  }
  At Item(size_t i) const { return At{value[i], path + "[" + std::to_string(i) + "]"}; }
};

// An object with exactly the `required` keys and any of the `optional` ones.
Status CheckObject(const At& at, std::initializer_list<std::string_view> required,
                   std::initializer_list<std::string_view> optional = {}) {
  if (!at.value.is_object()) return at.Error("not a JSON object");
  for (std::string_view key : required) {
    if (!at.value.contains(std::string(key))) return at.Error("missing '" + std::string(key) + "'");
  }
  for (const auto& [key, value] : at.value.items()) {
    bool known = false;
    for (std::string_view k : required) known = known || k == key;
    for (std::string_view k : optional) known = known || k == key;
    if (!known) return at.Error("unknown key '" + key.substr(0, 64) + "'");
  }
  return Status::OK();
}

Result<std::string> String(const At& at) {
  if (!at.value.is_string()) return at.Error("not a string");
  return at.value.get<std::string>();
}

Result<uint64_t> Unsigned(const At& at) {
  if (!at.value.is_number_unsigned()) return at.Error("not a non-negative integer");
  return at.value.get<uint64_t>();
}

Result<int64_t> Signed(const At& at) {
  if (at.value.is_number_unsigned()) {
    if (at.value.get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()}) {
      return at.Error("out of range");
    }
  } else if (!at.value.is_number_integer()) {
    return at.Error("not an integer");
  }
  return at.value.get<int64_t>();
}

Result<std::string> HexId(const At& at) {
  SHOKO_ASSIGN_OR_RETURN(std::string id, String(at));
  if (!platform::IsHexSha256(id)) return at.Error("not 64 lowercase hex digits");
  return id;
}

Result<std::string> Hash(const At& at) {
  auto bytes = at.value.is_string() ? Base64DecodeStrict(at.value.get<std::string>())
                                    : Result<std::string>(Status::InvalidArgument(""));
  if (!bytes.ok() || bytes->size() != 32) return at.Error("not 32 bytes of base64");
  return bytes;
}

Result<std::vector<std::string>> HashArray(const At& at) {
  if (!at.value.is_array()) return at.Error("not an array");
  std::vector<std::string> hashes;
  for (size_t i = 0; i < at.value.size(); ++i) {
    SHOKO_ASSIGN_OR_RETURN(std::string h, Hash(at.Item(i)));
    hashes.push_back(std::move(h));
  }
  return hashes;
}

Result<v1::Envelope> Envelope(const At& at) {
  auto envelope = DsseFromJson(at.value);
  if (!envelope.ok()) return at.Error(envelope.status().message());
  return envelope;
}

Result<BundleKey> DecodeKey(const At& at) {
  SHOKO_RETURN_IF_ERROR(CheckObject(at, {"key_id", "public_key", "from_seq"}));
  BundleKey key;
  SHOKO_ASSIGN_OR_RETURN(key.key_id, HexId(at.Child("key_id")));
  const At pub = at.Child("public_key");
  auto raw = pub.value.is_string() ? Base64DecodeStrict(pub.value.get<std::string>())
                                   : Result<std::string>(Status::InvalidArgument(""));
  if (!raw.ok() || !PublicKey::FromRaw(*raw).ok()) {
    return pub.Error("not an Ed25519 public key (32 bytes of base64)");
  }
  key.public_key = std::move(raw).value();
  if (platform::Sha256Hex(key.public_key) != key.key_id) {
    return at.Child("key_id").Error("not the SHA-256 of public_key");
  }
  SHOKO_ASSIGN_OR_RETURN(key.from_seq, Unsigned(at.Child("from_seq")));
  if (key.from_seq == 0) return at.Child("from_seq").Error("seqs start at 1");
  return key;
}

Result<BundleAgent> DecodeAgent(const At& at) {
  SHOKO_RETURN_IF_ERROR(
      CheckObject(at, {"agent_id", "keys", "rotations", "first_seq", "last_seq"}));
  BundleAgent agent;
  SHOKO_ASSIGN_OR_RETURN(agent.agent_id, HexId(at.Child("agent_id")));
  const At keys = at.Child("keys");
  if (!keys.value.is_array() || keys.value.empty()) return keys.Error("not a non-empty array");
  for (size_t i = 0; i < keys.value.size(); ++i) {
    SHOKO_ASSIGN_OR_RETURN(BundleKey key, DecodeKey(keys.Item(i)));
    agent.keys.push_back(std::move(key));
  }
  const At rotations = at.Child("rotations");
  if (!rotations.value.is_array()) return rotations.Error("not an array");
  for (size_t i = 0; i < rotations.value.size(); ++i) {
    SHOKO_ASSIGN_OR_RETURN(v1::Envelope env, Envelope(rotations.Item(i)));
    agent.rotations.push_back(std::move(env));
  }
  SHOKO_ASSIGN_OR_RETURN(agent.first_seq, Unsigned(at.Child("first_seq")));
  SHOKO_ASSIGN_OR_RETURN(agent.last_seq, Unsigned(at.Child("last_seq")));
  if (agent.first_seq == 0) return at.Child("first_seq").Error("seqs start at 1");
  if (agent.last_seq < agent.first_seq) return at.Child("last_seq").Error("below first_seq");
  return agent;
}

Result<BundleRecord> DecodeRecord(const At& at) {
  SHOKO_RETURN_IF_ERROR(
      CheckObject(at, {"envelope", "received_at_us", "leaf_index", "inclusion_proof"}));
  BundleRecord record;
  SHOKO_ASSIGN_OR_RETURN(record.envelope, Envelope(at.Child("envelope")));
  SHOKO_ASSIGN_OR_RETURN(record.received_at_us, Signed(at.Child("received_at_us")));
  SHOKO_ASSIGN_OR_RETURN(record.leaf_index, Unsigned(at.Child("leaf_index")));
  SHOKO_ASSIGN_OR_RETURN(record.inclusion_proof, HashArray(at.Child("inclusion_proof")));
  return record;
}

Result<BundleConsistency> DecodeConsistency(const At& at) {
  SHOKO_RETURN_IF_ERROR(CheckObject(at, {"from_size", "proof"}));
  BundleConsistency consistency;
  SHOKO_ASSIGN_OR_RETURN(consistency.from_size, Unsigned(at.Child("from_size")));
  SHOKO_ASSIGN_OR_RETURN(consistency.proof, HashArray(at.Child("proof")));
  return consistency;
}

// Each element of the array at `at`, decoded by `decode`.
template <typename T, typename Decode>
Result<std::vector<T>> DecodeArray(const At& at, Decode decode) {
  if (!at.value.is_array()) return at.Error("not an array");
  std::vector<T> out;
  out.reserve(at.value.size());
  for (size_t i = 0; i < at.value.size(); ++i) {
    SHOKO_ASSIGN_OR_RETURN(T item, decode(at.Item(i)));
    out.push_back(std::move(item));
  }
  return out;
}

// Parses JSON refusing a key repeated within one object: two readers of one
// bundle must not see two different documents.
Result<Json> ParseWithoutRepeatedKeys(std::string_view text) {
  std::vector<std::set<std::string>> open;  // the keys of each object being read
  std::string repeated;
  Json::parser_callback_t watch = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      open.emplace_back();
    } else if (event == Json::parse_event_t::object_end && !open.empty()) {
      open.pop_back();
    } else if (event == Json::parse_event_t::key && !open.empty() && repeated.empty()) {
      if (!open.back().insert(parsed.get<std::string>()).second) {
        repeated = parsed.get<std::string>().substr(0, 64);
      }
    }
    return true;
  };
  Json json = Json::parse(text, watch, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status::InvalidArgument("bundle is not valid JSON");
  if (!repeated.empty()) {
    return Status::InvalidArgument("bundle repeats the key '" + repeated + "' in one object");
  }
  return json;
}

}  // namespace

Result<BundleAgent> MakeBundleAgent(const PublicKey& first_key, std::vector<v1::Envelope> rotations,
                                    SeqRange range) {
  if (range.first == 0 || range.last < range.first) {
    return Status::InvalidArgument("a bundle's range is seqs first..last with 1 <= first <= last");
  }
  BundleAgent agent{first_key.KeyId(), {}, {}, range.first, range.last};
  agent.keys.push_back(BundleKey{agent.agent_id, first_key.raw(), 1});
  std::vector<std::pair<v1::Evidence, size_t>> parsed;  // the record, its index in `rotations`
  for (size_t i = 0; i < rotations.size(); ++i) {
    auto record = ParseEvidence(rotations[i].payload());
    if (!record.ok() || record->agent_id() != agent.agent_id || !RotationTarget(*record)) {
      return Status::InvalidArgument("rotations[" + std::to_string(i) +
                                     "] is not a key-rotation record of agent " + agent.agent_id);
    }
    parsed.emplace_back(std::move(record).value(), i);
  }
  std::sort(parsed.begin(), parsed.end(),
            [](const auto& a, const auto& b) { return a.first.seq() < b.first.seq(); });
  for (const auto& [record, i] : parsed) {
    const PublicKey next = *RotationTarget(record);
    agent.keys.push_back(BundleKey{next.KeyId(), next.raw(), record.seq() + 1});
    agent.rotations.push_back(std::move(rotations[i]));
  }
  return agent;
}

std::string EncodeBundle(const Bundle& bundle) {
  OrderedJson agents = OrderedJson::array();
  for (const BundleAgent& agent : bundle.agents) agents.push_back(AgentToJson(agent));
  OrderedJson records = OrderedJson::array();
  for (const BundleRecord& r : bundle.records) {
    records.push_back({{"envelope", DsseToJson(r.envelope)},
                       {"received_at_us", r.received_at_us},
                       {"leaf_index", r.leaf_index},
                       {"inclusion_proof", HashList(r.inclusion_proof)}});
  }
  OrderedJson doc = {{"format", kBundleFormat},
                     {"checkpoint", bundle.checkpoint},
                     {"agents", std::move(agents)},
                     {"records", std::move(records)}};
  if (!bundle.consistency.empty()) {
    OrderedJson consistency = OrderedJson::array();
    for (const BundleConsistency& c : bundle.consistency) {
      consistency.push_back({{"from_size", c.from_size}, {"proof", HashList(c.proof)}});
    }
    doc["consistency"] = std::move(consistency);
  }
  return doc.dump() + "\n";
}

Result<Bundle> DecodeBundle(std::string_view text) {
  SHOKO_ASSIGN_OR_RETURN(const Json json, ParseWithoutRepeatedKeys(text));
  const At top{json, ""};
  if (!json.is_object()) return Status::InvalidArgument("bundle is not a JSON object");
  SHOKO_RETURN_IF_ERROR(CheckObject(
      At{json, "bundle"}, {"format", "checkpoint", "agents", "records"}, {"consistency"}));
  SHOKO_ASSIGN_OR_RETURN(std::string format, String(top.Child("format")));
  if (format != kBundleFormat) {
    return top.Child("format").Error("'" + format.substr(0, 64) + "' is not " +
                                     std::string(kBundleFormat));
  }
  Bundle bundle;
  SHOKO_ASSIGN_OR_RETURN(bundle.checkpoint, String(top.Child("checkpoint")));
  SHOKO_ASSIGN_OR_RETURN(bundle.agents, DecodeArray<BundleAgent>(top.Child("agents"), DecodeAgent));
  std::set<std::string> agent_ids;
  for (size_t i = 0; i < bundle.agents.size(); ++i) {
    if (!agent_ids.insert(bundle.agents[i].agent_id).second) {
      return top.Child("agents").Item(i).Child("agent_id").Error("agent listed twice");
    }
  }
  SHOKO_ASSIGN_OR_RETURN(bundle.records,
                         DecodeArray<BundleRecord>(top.Child("records"), DecodeRecord));
  if (json.contains("consistency")) {
    SHOKO_ASSIGN_OR_RETURN(bundle.consistency, DecodeArray<BundleConsistency>(
                                                   top.Child("consistency"), DecodeConsistency));
  }
  return bundle;
}

}  // namespace shoko::evidence
