// Plain-text output shared by the command-line programs.
#ifndef SHOKO_PLATFORM_TEXT_TABLE_H_
#define SHOKO_PLATFORM_TEXT_TABLE_H_

#include <ostream>
#include <string>
#include <vector>

namespace shoko::platform {

// Rows printed with columns aligned by two spaces; the last column is not padded.
void PrintAligned(const std::vector<std::vector<std::string>>& rows, std::ostream& out);

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_TEXT_TABLE_H_
