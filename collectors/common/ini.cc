#include "collectors/common/ini.h"

#include <cctype>

#include "collectors/common/lines.h"
#include "platform/strings.h"

namespace shoko::collectors {
std::string IniSection::Get(std::string_view key, std::string_view fallback) const {
  for (auto it = values.rbegin(); it != values.rend(); ++it) {
    if (it->first == key) return it->second;
  }
  return std::string(fallback);
}

Result<std::vector<IniSection>> ParseIni(std::string_view text, std::string_view file) {
  std::vector<IniSection> sections;
  auto error = [&](int line, const char* why) {
    return Status::Corruption(std::string(file) + ":" + std::to_string(line) + ": " + why);
  };
  bool after_value = false;  // a continuation may follow
  Lines lines(text);
  for (std::string_view raw; lines.Next(&raw);) {
    const int line_no = lines.number();
    std::string_view line = platform::Trim(raw);
    if (line.empty()) {
      after_value = false;
      continue;
    }
    if (line.find('\0') != std::string_view::npos) return error(line_no, "NUL byte in text");
    if (line[0] == '#' || line[0] == ';') continue;
    const bool indented = raw[0] == ' ' || raw[0] == '\t';
    if (indented && after_value) {
      sections.back().values.back().second += "\n" + std::string(line);
      continue;
    }
    if (line[0] == '[') {
      if (line.back() != ']' || platform::Trim(line.substr(1, line.size() - 2)).empty()) {
        return error(line_no, "bad [section] header");
      }
      sections.push_back(
          {std::string(platform::Trim(line.substr(1, line.size() - 2))), line_no, {}, {}});
      after_value = false;
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return error(line_no, "neither [section], key = value nor a comment");
    }
    if (sections.empty()) return error(line_no, "key = value before any [section]");
    std::string key(platform::Trim(line.substr(0, eq)));
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    sections.back().values.emplace_back(std::move(key),
                                        std::string(platform::Trim(line.substr(eq + 1))));
    sections.back().value_lines.push_back(line_no);
    after_value = true;
  }
  return sections;
}

}  // namespace shoko::collectors
