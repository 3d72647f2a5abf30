#include "collectors/patch/deb822.h"

#include <strings.h>

#include "platform/strings.h"

namespace shoko::collectors::patch {
namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string_view Deb822Stanza::Get(std::string_view name) const {
  for (const auto& [k, v] : fields) {
    if (EqualsNoCase(k, name)) return v;
  }
  return {};
}

bool Deb822Stanza::Has(std::string_view name) const {
  for (const auto& f : fields) {
    if (EqualsNoCase(f.first, name)) return true;
  }
  return false;
}

Result<std::vector<Deb822Stanza>> ParseDeb822(std::string_view text, std::string_view file) {
  std::vector<Deb822Stanza> stanzas;
  Deb822Stanza current;
  auto error = [&](int line, const std::string& why) {
    return Status::Corruption(std::string(file) + ":" + std::to_string(line) + ": " + why);
  };
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (line.find('\0') != std::string_view::npos) return error(line_no, "NUL byte in text");
    if (platform::Trim(line).empty()) {
      if (!current.fields.empty()) stanzas.push_back(std::move(current));
      current = Deb822Stanza();
      continue;
    }
    if (line.front() == '#') continue;
    if (line.front() == ' ' || line.front() == '\t') {
      if (current.fields.empty()) return error(line_no, "continuation line before any field");
      std::string_view more = platform::Trim(line);
      std::string& value = current.fields.back().second;
      value += '\n';
      if (more != ".") value += more;  // " ." stands for an empty line
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return error(line_no, "line is neither a 'Field: value' nor a continuation");
    }
    std::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (c <= ' ' || c == 127) return error(line_no, "field name has a space or control byte");
    }
    if (current.fields.empty()) current.line = line_no;
    current.fields.emplace_back(std::string(name),
                                std::string(platform::Trim(line.substr(colon + 1))));
  }
  if (!current.fields.empty()) stanzas.push_back(std::move(current));
  return stanzas;
}

}  // namespace shoko::collectors::patch
