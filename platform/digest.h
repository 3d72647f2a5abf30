// SHA-256 and hex: the one digest shoko uses everywhere (record digests, key
// and agent ids, artifacts, config digests), below evidence/ and collectors/.
#ifndef SHOKO_PLATFORM_DIGEST_H_
#define SHOKO_PLATFORM_DIGEST_H_

#include <string>
#include <string_view>

#include "platform/status.h"

namespace shoko::platform {

// SHA-256 of `bytes`, 32 raw bytes.
std::string Sha256(std::string_view bytes);
// Lowercase hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

// Lowercase hex of `bytes`.
std::string HexEncode(std::string_view bytes);
// Bytes of a hex string (either case); InvalidArgument on odd length or a non-hex digit.
Result<std::string> HexDecode(std::string_view hex);

// Whether `s` is 64 lowercase hex digits, as every agent_id and key_id is.
inline bool IsHexSha256(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_DIGEST_H_
