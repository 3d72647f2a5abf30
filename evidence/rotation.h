// Key rotation (docs/evidence-format.md, "Key rotation records"): a LIFECYCLE record signed by the old key names the
// new one; from the next seq on, only the new key signs for that agent.
#ifndef SHOKO_EVIDENCE_ROTATION_H_
#define SHOKO_EVIDENCE_ROTATION_H_

#include <optional>
#include <string_view>

#include "evidence/keys.h"
#include "shoko/v1/evidence.pb.h"

namespace shoko::evidence {

inline constexpr std::string_view kKeyRotationCheckId = "agent.lifecycle.key_rotation";

// Facts of a rotation record: new_key_id (hex) and new_public_key (standard
// base64 of the raw 32 bytes).
void SetRotationFacts(const PublicKey& new_key, v1::Evidence* record);

// The key a record hands over to, when it is a well-formed rotation record
// (kind LIFECYCLE, the rotation check_id, a new key whose id matches).
std::optional<PublicKey> RotationTarget(const v1::Evidence& record);

}  // namespace shoko::evidence

#endif  // SHOKO_EVIDENCE_ROTATION_H_
