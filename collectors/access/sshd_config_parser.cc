#include "collectors/access/sshd_config_parser.h"

#include <cctype>

namespace shoko::collectors::access {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }

// argv_split(s, terminate_on_comment=1) from OpenSSH's misc.c.
bool SplitArgs(std::string_view s, std::vector<std::string>* out) {
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ' || s[i] == '\t') {
      ++i;
      continue;
    }
    if (s[i] == '#') break;
    std::string arg;
    char quote = 0;
    for (; i < s.size(); ++i) {
      char c = s[i];
      if (c == '\\' && i + 1 < s.size() &&
          (s[i + 1] == '\'' || s[i + 1] == '"' || s[i + 1] == '\\' ||
           (quote == 0 && s[i + 1] == ' '))) {
        arg.push_back(s[++i]);
      } else if (quote == 0 && (c == ' ' || c == '\t')) {
        break;
      } else if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
      } else if (quote != 0 && c == quote) {
        quote = 0;
      } else {
        arg.push_back(c);
      }
    }
    if (quote != 0) return false;
    out->push_back(std::move(arg));
  }
  return true;
}

}  // namespace

Result<std::vector<SshdDirective>> ParseSshdConfigText(std::string_view text,
                                                       std::string_view file) {
  std::vector<SshdDirective> directives;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);
    size_t i = 0;
    while (i < line.size() && IsSpace(line[i])) ++i;
    if (i == line.size() || line[i] == '#') {
      if (end == text.size()) break;
      continue;
    }
    size_t kw_end = i;
    while (kw_end < line.size() && !IsSpace(line[kw_end]) && line[kw_end] != '=') ++kw_end;
    std::string keyword(line.substr(i, kw_end - i));
    for (char& c : keyword) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // Whitespace, at most one '=', whitespace.
    size_t a = kw_end;
    while (a < line.size() && IsSpace(line[a])) ++a;
    if (a < line.size() && line[a] == '=') {
      ++a;
      while (a < line.size() && IsSpace(line[a])) ++a;
    }
    auto where = [&] { return std::string(file) + ":" + std::to_string(line_no) + ": "; };
    if (keyword.empty()) return Status::InvalidArgument(where() + "missing keyword before '='");
    SshdDirective d;
    d.keyword = keyword;
    d.line = line_no;
    if (!SplitArgs(line.substr(a), &d.args)) {
      return Status::InvalidArgument(where() + "unterminated quote in " + keyword);
    }
    if (d.args.empty()) {
      return Status::InvalidArgument(where() + "no argument after keyword \"" + keyword + "\"");
    }
    directives.push_back(std::move(d));
    if (end == text.size()) break;
  }
  return directives;
}

Status CheckSshdArguments(const SshdDirective& d, std::string_view file) {
  enum class Kind { kFlag, kInteger, kTime, kOneOf };
  struct Rule {
    const char* keyword;
    Kind kind;
    std::vector<const char*> values;  // for kOneOf
  };
  // OpenSSH 9.2 servconf.c: how sshd parses the keywords shoko judges.
  static const std::vector<Rule> kRules = {
      {"permitrootlogin",
       Kind::kOneOf,
       {"yes", "no", "prohibit-password", "without-password", "forced-commands-only"}},
      {"loglevel",
       Kind::kOneOf,
       {"quiet", "fatal", "error", "info", "verbose", "debug", "debug1", "debug2", "debug3"}},
      {"passwordauthentication", Kind::kFlag, {}},
      {"permitemptypasswords", Kind::kFlag, {}},
      {"hostbasedauthentication", Kind::kFlag, {}},
      {"ignorerhosts", Kind::kFlag, {}},
      {"x11forwarding", Kind::kFlag, {}},
      {"usepam", Kind::kFlag, {}},
      {"pubkeyauthentication", Kind::kFlag, {}},
      {"kbdinteractiveauthentication", Kind::kFlag, {}},
      {"maxauthtries", Kind::kInteger, {}},
      {"maxsessions", Kind::kInteger, {}},
      {"clientalivecountmax", Kind::kInteger, {}},
      {"logingracetime", Kind::kTime, {}},
      {"clientaliveinterval", Kind::kTime, {}},
  };
  const Rule* rule = nullptr;
  for (const Rule& r : kRules) {
    if (d.keyword == r.keyword) rule = &r;
  }
  if (rule == nullptr) return Status::OK();
  auto where = [&] { return std::string(file) + ":" + std::to_string(d.line) + ": "; };
  if (d.args.size() != 1) {
    return Status::InvalidArgument(where() + d.keyword + " takes one argument, got " +
                                   std::to_string(d.args.size()));
  }
  std::string value = d.args[0];
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool ok = true;
  switch (rule->kind) {
    case Kind::kFlag:
      ok = value == "yes" || value == "no";
      break;
    case Kind::kOneOf: {
      ok = false;
      for (const char* v : rule->values) ok = ok || value == v;
      break;
    }
    case Kind::kInteger: {
      ok = !value.empty() && value.size() <= 9 &&
           value.find_first_not_of("0123456789") == std::string::npos;
      break;
    }
    case Kind::kTime:
      ok = ParseSshdTime(value).ok();
      break;
  }
  if (!ok) {
    return Status::InvalidArgument(where() + "'" + d.args[0] + "' is not a valid value for " +
                                   d.keyword + " (sshd refuses it)");
  }
  return Status::OK();
}

Result<long long> ParseSshdTime(std::string_view text) {
  // convtime() from OpenSSH's misc.c: digits with an optional unit, repeated.
  if (text.empty()) return Status::InvalidArgument("empty time value");
  long long total = 0;
  size_t i = 0;
  while (i < text.size()) {
    long long n = 0;
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i] - '0');
      if (n > 1'000'000'000'000LL) return Status::InvalidArgument("time value too large");
      ++i;
    }
    if (i == start)
      return Status::InvalidArgument("'" + std::string(text) + "' is not a time value");
    long long unit = 1;
    if (i < text.size()) {
      switch (std::tolower(static_cast<unsigned char>(text[i]))) {
        case 's':
          unit = 1;
          ++i;
          break;
        case 'm':
          unit = 60;
          ++i;
          break;
        case 'h':
          unit = 3600;
          ++i;
          break;
        case 'd':
          unit = 86400;
          ++i;
          break;
        case 'w':
          unit = 604800;
          ++i;
          break;
        default:
          return Status::InvalidArgument("'" + std::string(text) + "' is not a time value");
      }
    }
    total += n * unit;
    if (total > 0x7fffffffLL) return Status::InvalidArgument("time value too large");
  }
  return total;
}

}  // namespace shoko::collectors::access
