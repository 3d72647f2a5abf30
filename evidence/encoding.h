// Byte encodings and the SHA-256 digest used everywhere in evidence/.
#ifndef SHOKO_EVIDENCE_ENCODING_H_
#define SHOKO_EVIDENCE_ENCODING_H_

#include <string>
#include <string_view>

#include "platform/status.h"

namespace shoko::evidence {

// Lowercase hex of `bytes`.
std::string HexEncode(std::string_view bytes);
// Bytes of a hex string (either case); InvalidArgument on odd length or a non-hex digit.
Result<std::string> HexDecode(std::string_view hex);

// Standard base64 with padding (RFC 4648 §4), as DSSE writes it.
std::string Base64Encode(std::string_view bytes);
// Accepts both the standard and the URL-safe alphabet (RFC 4648 §5), padded or
// not, as DSSE readers must; rejects anything else, including whitespace.
Result<std::string> Base64Decode(std::string_view text);

// SHA-256 of `bytes`, 32 raw bytes.
std::string Sha256(std::string_view bytes);

}  // namespace shoko::evidence

#endif  // SHOKO_EVIDENCE_ENCODING_H_
