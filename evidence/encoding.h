// Base64 as DSSE writes it; SHA-256 and hex live in platform/digest.h.
#ifndef SHOKO_EVIDENCE_ENCODING_H_
#define SHOKO_EVIDENCE_ENCODING_H_

#include <string>
#include <string_view>

#include "platform/digest.h"
#include "platform/status.h"

namespace shoko::evidence {

// Standard base64 with padding (RFC 4648 §4), as DSSE writes it.
std::string Base64Encode(std::string_view bytes);
// Accepts both the standard and the URL-safe alphabet (RFC 4648 §5), padded or
// not, as DSSE readers must; rejects anything else, including whitespace.
Result<std::string> Base64Decode(std::string_view text);
// Only standard base64 as Base64Encode writes it (padded, no stray bits), so
// that one value has one text: for signed notes and bundles.
Result<std::string> Base64DecodeStrict(std::string_view text);

}  // namespace shoko::evidence

#endif  // SHOKO_EVIDENCE_ENCODING_H_
