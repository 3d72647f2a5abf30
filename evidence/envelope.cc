#include "evidence/envelope.h"

#include <nlohmann/json.hpp>
#include <set>

#include "evidence/dsse_json.h"
#include "evidence/encoding.h"

namespace shoko::evidence {

std::string Pae(std::string_view payload_type, std::string_view payload) {
  std::string out = "DSSEv1 ";
  out += std::to_string(payload_type.size());
  out += ' ';
  out += payload_type;
  out += ' ';
  out += std::to_string(payload.size());
  out += ' ';
  out += payload;
  return out;
}

Result<v1::Envelope> Sign(const SigningKey& key, std::string payload,
                          std::string_view payload_type) {
  auto sig = key.Sign(Pae(payload_type, payload));
  if (!sig.ok()) return sig.status();
  v1::Envelope env;
  env.set_payload(std::move(payload));
  env.set_payload_type(std::string(payload_type));
  v1::Signature* s = env.add_signatures();
  s->set_keyid(key.public_key().KeyId());
  s->set_sig(std::move(sig).value());
  return env;
}

Status VerifyDsse(const v1::Envelope& envelope, const std::map<std::string, PublicKey>& trusted,
                  size_t threshold) {
  if (threshold == 0) return Status::InvalidArgument("DSSE threshold must be at least 1");
  const std::string pae = Pae(envelope.payload_type(), envelope.payload());
  std::set<std::string> valid;
  for (const v1::Signature& sig : envelope.signatures()) {
    auto it = trusted.find(sig.keyid());
    if (it == trusted.end()) continue;
    if (it->second.Verify(pae, sig.sig())) valid.insert(it->first);
  }
  if (valid.size() >= threshold) return Status::OK();
  return Status::Corruption("signature check failed: " + std::to_string(valid.size()) + " of " +
                            std::to_string(threshold) + " required trusted signatures are valid");
}

Status VerifyEvidenceEnvelope(const v1::Envelope& envelope, const PublicKey& key) {
  if (envelope.signatures_size() != 1) {
    return Status::Corruption("evidence envelope must carry exactly one signature, has " +
                              std::to_string(envelope.signatures_size()));
  }
  const v1::Signature& sig = envelope.signatures(0);
  if (sig.keyid() != key.KeyId()) {
    // The keyid comes from the peer: name it only when it is a plausible id.
    bool printable = sig.keyid().size() <= 128 &&
                     sig.keyid().find_first_not_of("0123456789abcdef") == std::string::npos;
    return Status::Corruption("signature keyid " + (printable ? sig.keyid() : "(malformed)") +
                              " is not the expected key " + key.KeyId());
  }
  if (!key.Verify(Pae(envelope.payload_type(), envelope.payload()), sig.sig())) {
    return Status::Corruption("bad signature by key " + key.KeyId());
  }
  if (envelope.payload_type() != kEvidencePayloadType) {
    return Status::Corruption("payload type '" + envelope.payload_type() +
                              "' is not shoko evidence");
  }
  return Status::OK();
}

nlohmann::ordered_json DsseToJson(const v1::Envelope& envelope) {
  nlohmann::ordered_json j;
  j["payload"] = Base64Encode(envelope.payload());
  j["payloadType"] = envelope.payload_type();
  j["signatures"] = nlohmann::ordered_json::array();
  for (const v1::Signature& sig : envelope.signatures()) {
    j["signatures"].push_back({{"keyid", sig.keyid()}, {"sig", Base64Encode(sig.sig())}});
  }
  return j;
}

std::string ToDsseJson(const v1::Envelope& envelope) { return DsseToJson(envelope).dump(); }

Result<v1::Envelope> DsseFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidArgument("DSSE envelope must be a JSON object");
  auto string_field = [&](const nlohmann::json& obj, const char* name) -> Result<std::string> {
    auto it = obj.find(name);
    if (it == obj.end() || !it->is_string()) {
      return Status::InvalidArgument(std::string("missing string field '") + name + "'");
    }
    return it->get<std::string>();
  };
  v1::Envelope env;
  auto payload = string_field(j, "payload");
  if (!payload.ok()) return payload.status();
  auto payload_bytes = Base64Decode(*payload);
  if (!payload_bytes.ok()) return payload_bytes.status().WithContext("payload");
  env.set_payload(std::move(payload_bytes).value());
  auto type = string_field(j, "payloadType");
  if (!type.ok()) return type.status();
  env.set_payload_type(*type);
  auto sigs = j.find("signatures");
  if (sigs == j.end() || !sigs->is_array()) {
    return Status::InvalidArgument("missing array field 'signatures'");
  }
  for (const nlohmann::json& s : *sigs) {
    if (!s.is_object()) return Status::InvalidArgument("signature must be a JSON object");
    auto sig = string_field(s, "sig");
    if (!sig.ok()) return sig.status();
    auto sig_bytes = Base64Decode(*sig);
    if (!sig_bytes.ok()) return sig_bytes.status().WithContext("sig");
    v1::Signature* out = env.add_signatures();
    // keyid is optional in DSSE.
    if (auto k = s.find("keyid"); k != s.end()) {
      if (!k->is_string()) return Status::InvalidArgument("keyid must be a string");
      out->set_keyid(k->get<std::string>());
    }
    out->set_sig(std::move(sig_bytes).value());
  }
  return env;
}

Result<v1::Envelope> FromDsseJson(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("not valid JSON");
  return DsseFromJson(j);
}

}  // namespace shoko::evidence
