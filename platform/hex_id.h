// Agent and key ids (design §3): the lowercase hex of a SHA-256.
#ifndef SHOKO_PLATFORM_HEX_ID_H_
#define SHOKO_PLATFORM_HEX_ID_H_

#include <string_view>

namespace shoko::platform {

// Whether `s` is 64 lowercase hex digits, as every agent_id and key_id is.
inline bool IsHexSha256(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_HEX_ID_H_
