// Plain-text output shared by the command-line programs.
#ifndef SHOKO_PLATFORM_TEXT_TABLE_H_
#define SHOKO_PLATFORM_TEXT_TABLE_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace shoko::platform {

// Rows printed with columns aligned by two spaces; the last column is not padded.
void PrintAligned(const std::vector<std::vector<std::string>>& rows, std::ostream& out);

// "2026-11-25T19:38:01Z" for microseconds since the Unix epoch.
std::string FormatRfc3339(int64_t micros);
// "2026-11-25", the UTC day of `micros`: the day statement dates are compared with.
std::string FormatUtcDate(int64_t micros);

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_TEXT_TABLE_H_
