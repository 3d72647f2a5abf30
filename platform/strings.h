// Small string helpers every room uses, written once.
#ifndef SHOKO_PLATFORM_STRINGS_H_
#define SHOKO_PLATFORM_STRINGS_H_

#include <string>
#include <string_view>
#include <vector>

namespace shoko::platform {

// The white space Trim strips by default: what isspace() calls space in the C locale.
inline constexpr std::string_view kBlanks = " \t\r\n\v\f";

// `s` without leading and trailing characters of `chars`.
std::string_view Trim(std::string_view s, std::string_view chars = kBlanks);
// `s` without trailing characters of `chars`.
std::string_view TrimRight(std::string_view s, std::string_view chars = kBlanks);
// ASCII lower case; other bytes (UTF-8 included) unchanged.
std::string ToLower(std::string_view s);
// The items joined by `separator`.
std::string Join(const std::vector<std::string>& items, std::string_view separator);

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_STRINGS_H_
