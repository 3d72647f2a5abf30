#include "evidence/rotation.h"

#include "evidence/encoding.h"

namespace shoko::evidence {

void SetRotationFacts(const PublicKey& new_key, v1::Evidence* record) {
  auto& fields = *record->mutable_facts()->mutable_fields();
  fields["new_key_id"].set_string_value(new_key.KeyId());
  fields["new_public_key"].set_string_value(Base64Encode(new_key.raw()));
}

std::optional<PublicKey> RotationTarget(const v1::Evidence& record) {
  if (record.kind() != v1::LIFECYCLE || record.check_id() != kKeyRotationCheckId) {
    return std::nullopt;
  }
  const auto& fields = record.facts().fields();
  auto raw_it = fields.find("new_public_key");
  auto id_it = fields.find("new_key_id");
  if (raw_it == fields.end() || id_it == fields.end()) return std::nullopt;
  auto raw = Base64Decode(raw_it->second.string_value());
  if (!raw.ok()) return std::nullopt;
  auto key = PublicKey::FromRaw(*raw);
  if (!key.ok() || key->KeyId() != id_it->second.string_value()) return std::nullopt;
  return *key;
}

}  // namespace shoko::evidence
