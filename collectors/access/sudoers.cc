#include "collectors/access/sudoers.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "collectors/common/lines.h"
#include "platform/strings.h"

namespace shoko::collectors::access {
namespace {

constexpr int kMaxIncludeDepth = 32;
constexpr size_t kMaxFiles = 256;
constexpr size_t kMaxFileBytes = 4u << 20;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

Status Error(const std::string& file, int line, const std::string& what) {
  return Status::InvalidArgument(file + ":" + std::to_string(line) + ": " + what);
}

// A logical line: continuation lines joined, the comment removed ('#' starts
// one unless it is a #include directive or "#<digits>", a UID).
struct Logical {
  std::string text;
  int line = 0;
};

Result<std::vector<Logical>> LogicalLines(std::string_view text, const std::string& file) {
  std::vector<Logical> out;
  std::string current;
  int start = 0;
  bool continued = false;
  Lines lines(text);
  for (std::string_view raw; lines.Next(&raw);) {
    const int line_no = lines.number();
    if (!continued) {
      current.clear();
      start = line_no;
    }
    // Strip the comment, outside quotes.
    std::string kept;
    bool quoted = false;
    const std::string lead = std::string(platform::Trim(raw));
    const bool directive = lead.starts_with("#include");
    for (size_t i = 0; i < raw.size(); ++i) {
      const char c = raw[i];
      if (c == '\\' && i + 1 < raw.size()) {
        kept += c;
        kept += raw[++i];
        continue;
      }
      if (c == '"') quoted = !quoted;
      if (c == '#' && !quoted &&
          !(directive && kept.find_first_not_of(" \t") == std::string::npos) &&
          !(i + 1 < raw.size() && std::isdigit(static_cast<unsigned char>(raw[i + 1])))) {
        break;
      }
      kept += c;
    }
    continued =
        !kept.empty() && kept.back() == '\\' && (kept.size() < 2 || kept[kept.size() - 2] != '\\');
    if (continued) kept.pop_back();
    current += kept;
    if (!continued && !std::string(platform::Trim(current)).empty())
      out.push_back({std::string(platform::Trim(current)), start});
  }
  if (continued && !std::string(platform::Trim(current)).empty()) {
    return Error(file, start, "the last line ends in a continuation '\\'");
  }
  return out;
}

// Comma-separated list items, trimmed; "\," stays inside an item.
std::vector<std::string> SplitList(std::string_view s) {
  std::vector<std::string> items;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      cur += s[i];
      cur += s[++i];
    } else if (s[i] == '"') {
      quoted = !quoted;
      cur += s[i];
    } else if (s[i] == ',' && !quoted) {
      if (!std::string(platform::Trim(cur)).empty())
        items.push_back(std::string(platform::Trim(cur)));
      cur.clear();
    } else {
      cur += s[i];
    }
  }
  if (!std::string(platform::Trim(cur)).empty()) items.push_back(std::string(platform::Trim(cur)));
  return items;
}

// Reads a list (items joined by commas, spaces allowed around them) from
// `s` at `at`; stops at whitespace that does not continue the list, or at
// any of `stops`.
std::string ReadList(std::string_view s, size_t& at, std::string_view stops) {
  std::string out;
  while (at < s.size() && IsSpace(s[at])) ++at;
  while (at < s.size()) {
    const char c = s[at];
    if (stops.find(c) != std::string_view::npos) break;
    if (IsSpace(c)) {
      size_t next = at;
      while (next < s.size() && IsSpace(s[next])) ++next;
      const bool comma_before = !out.empty() && out.back() == ',';
      if (!comma_before && (next >= s.size() || s[next] != ',')) break;
      at = next;
      continue;
    }
    out += c;
    ++at;
  }
  return out;
}

const std::set<std::string, std::less<>> kTags = {
    "NOPASSWD",  "PASSWD",      "NOEXEC",     "EXEC",         "SETENV", "NOSETENV",
    "LOG_INPUT", "NOLOG_INPUT", "LOG_OUTPUT", "NOLOG_OUTPUT", "MAIL",   "NOMAIL",
    "FOLLOW",    "NOFOLLOW",    "INTERCEPT",  "NOINTERCEPT"};
const char* const kOptions[] = {"ROLE=",    "TYPE=",      "CWD=",      "CHROOT=",
                                "TIMEOUT=", "NOTBEFORE=", "NOTAFTER=", "APPARMOR_PROFILE=",
                                "PRIVS=",   "LIMITPRIVS="};

// At a top-level ':' in a command list: does a new "Host_List =" follow?
bool NewHostPart(std::string_view s, size_t colon) {
  size_t i = colon + 1;
  while (i < s.size() && IsSpace(s[i])) ++i;
  const size_t begin = i;
  while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) ||
                          std::string_view("._-,!+*/% \t").find(s[i]) != std::string_view::npos)) {
    ++i;
  }
  return i > begin && i < s.size() && s[i] == '=';
}

Status ParseUserSpec(const Logical& l, const std::string& file, SudoersText* out) {
  const std::string_view s = l.text;
  size_t at = 0;
  SudoRule rule;
  rule.file = file;
  rule.line = l.line;
  rule.users = SplitList(ReadList(s, at, "="));
  if (rule.users.empty()) return Error(file, l.line, "no user list");
  while (true) {
    std::vector<std::string> hosts = SplitList(ReadList(s, at, "="));
    while (at < s.size() && IsSpace(s[at])) ++at;
    if (hosts.empty() || at >= s.size() || s[at] != '=') {
      return Error(file, l.line, "expected 'users hosts = commands'");
    }
    ++at;
    std::string runas;
    std::vector<std::string> tags;
    bool more_hosts = false;
    while (true) {  // one Cmnd_Spec per iteration
      while (at < s.size() && IsSpace(s[at])) ++at;
      if (at < s.size() && s[at] == '(') {
        const size_t close = s.find(')', at);
        if (close == std::string_view::npos)
          return Error(file, l.line, "a Runas list is never closed");
        runas = std::string(platform::Trim(s.substr(at + 1, close - at - 1)));
        tags.clear();  // a new Runas starts over
        at = close + 1;
      }
      // Options (ROLE=…) and tags (NOPASSWD:) before the command.
      for (bool progress = true; progress;) {
        progress = false;
        while (at < s.size() && IsSpace(s[at])) ++at;
        for (const char* o : kOptions) {
          if (s.substr(at).starts_with(o)) {
            while (at < s.size() && !IsSpace(s[at])) ++at;
            progress = true;
          }
        }
        size_t e = at;
        while (e < s.size() && (std::isupper(static_cast<unsigned char>(s[e])) || s[e] == '_')) ++e;
        if (e > at && e < s.size() && s[e] == ':' && kTags.contains(s.substr(at, e - at))) {
          std::string tag(s.substr(at, e - at));
          // A tag replaces its opposite: PASSWD after NOPASSWD, and so on.
          const std::string opposite = tag.starts_with("NO") ? tag.substr(2) : "NO" + tag;
          std::erase(tags, opposite);
          if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
          at = e + 1;
          progress = true;
        }
      }
      // The command: up to an unescaped ',' or a ':' that starts a new host
      // part. Quotes in a command's arguments are literal, as sudo reads them.
      std::string command;
      for (; at < s.size(); ++at) {
        const char c = s[at];
        if (c == '\\' && at + 1 < s.size()) {
          command += s[++at];
          continue;
        }
        if (c == ',') break;
        if (c == ':' && NewHostPart(s, at)) {
          more_hosts = true;
          break;
        }
        command += c;
      }
      command = std::string(platform::Trim(command));
      if (command.empty()) return Error(file, l.line, "a command is missing");
      rule.commands.push_back({command, runas, tags, hosts});
      if (at >= s.size() || more_hosts) break;
      ++at;  // past ','
    }
    if (!more_hosts) break;
    ++at;  // past ':'
  }
  out->rules.push_back(std::move(rule));
  return Status::OK();
}

Status ParseDefaults(const Logical& l, const std::string& file, SudoersText* out) {
  std::string_view s = l.text;
  s.remove_prefix(std::string_view("Defaults").size());
  std::string scope;
  if (!s.empty() && std::string_view(":@!>").find(s[0]) != std::string_view::npos) {
    size_t at = 1;
    scope = s[0] + ReadList(s, at, "");
    s.remove_prefix(at);
  }
  for (const std::string& item : SplitList(s)) {
    SudoDefault d;
    d.scope = scope;
    d.file = file;
    d.line = l.line;
    std::string name = item;
    const size_t eq = item.find('=');
    if (eq != std::string::npos) {
      name = std::string(platform::Trim(item.substr(0, eq)));
      if (!name.empty() && (name.back() == '+' || name.back() == '-')) name.pop_back();
      std::string value = std::string(platform::Trim(item.substr(eq + 1)));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      } else if (!value.empty() && value.front() == '"') {
        return Error(file, l.line,
                     "unterminated quote in Defaults " + std::string(platform::Trim(name)));
      }
      d.value = value;
    }
    name = std::string(platform::Trim(name));
    while (!name.empty() && name[0] == '!') {
      d.negated = !d.negated;
      name = std::string(platform::Trim(name.substr(1)));
    }
    if (name.empty()) return Error(file, l.line, "an empty Defaults entry");
    d.name = name;
    out->defaults.push_back(std::move(d));
  }
  return Status::OK();
}

Status ParseAlias(const Logical& l, const std::string& file, const std::string& kind,
                  SudoersText* out) {
  // "KIND NAME = a, b : NAME2 = c"
  std::string_view s = l.text;
  // Past the keyword as written: "Cmd_Alias" is one shorter than its kind.
  s.remove_prefix(std::min(s.size(), s.find_first_of(" \t")));
  size_t at = 0;
  while (at < s.size()) {
    while (at < s.size() && (IsSpace(s[at]) || s[at] == ':')) ++at;
    if (at >= s.size()) break;
    const size_t eq = s.find('=', at);
    if (eq == std::string_view::npos) return Error(file, l.line, kind + " without '='");
    const std::string name = std::string(platform::Trim(s.substr(at, eq - at)));
    if (name.empty() || !std::isupper(static_cast<unsigned char>(name[0]))) {
      return Error(file, l.line, kind + " names must start with a capital letter");
    }
    size_t end = eq + 1;
    // The members run to a ':' that starts the next "NAME =".
    while (end < s.size() && !(s[end] == ':' && NewHostPart(s, end))) ++end;
    out->aliases[kind + " " + name] = SplitList(s.substr(eq + 1, end - eq - 1));
    at = end;
  }
  return Status::OK();
}

}  // namespace

Result<SudoersText> ParseSudoersText(std::string_view text, const std::string& file) {
  SudoersText out;
  auto lines = LogicalLines(text, file);
  if (!lines.ok()) return lines.status();
  for (const Logical& l : *lines) {
    const std::string& t = l.text;
    std::string first = t.substr(0, t.find_first_of(" \t"));
    if (first == "#include" || first == "@include" || first == "#includedir" ||
        first == "@includedir") {
      std::string path = std::string(platform::Trim(t.substr(first.size())));
      if (path.size() >= 2 && path.front() == '"' && path.back() == '"') {
        path = path.substr(1, path.size() - 2);
      }
      if (path.empty()) return Error(file, l.line, first + " without a path");
      out.includes.push_back({path, first.ends_with("dir"), l.line});
      continue;
    }
    if (t.starts_with("Defaults") &&
        (t.size() == 8 || std::string_view(":@!> \t").find(t[8]) != std::string_view::npos)) {
      if (Status s = ParseDefaults(l, file, &out); !s.ok()) return s;
      continue;
    }
    bool alias = false;
    for (const char* kind :
         {"User_Alias", "Runas_Alias", "Host_Alias", "Cmnd_Alias", "Cmd_Alias"}) {
      if (first == kind) {
        if (Status s = ParseAlias(l, file, first == "Cmd_Alias" ? "Cmnd_Alias" : first, &out);
            !s.ok()) {
          return s;
        }
        alias = true;
      }
    }
    if (alias) continue;
    if (Status s = ParseUserSpec(l, file, &out); !s.ok()) return s;
  }
  return out;
}

namespace {

class Loader {
 public:
  Loader(const platform::Env& env, SudoersPolicy* out) : env_(env), out_(out) {}

  Status Load(const std::string& path, int depth) {
    if (out_->files.size() >= kMaxFiles) {
      return Status::InvalidArgument(env_.Describe(path) + ": more than " +
                                     std::to_string(kMaxFiles) + " sudoers files");
    }
    auto text = env_.ReadFile(path, kMaxFileBytes);
    if (!text.ok()) return text.status();
    auto parsed = ParseSudoersText(*text, env_.Describe(path));
    if (!parsed.ok()) return parsed.status();
    out_->files.push_back(path);
    active_.insert(path);
    for (auto& [name, members] : parsed->aliases) out_->aliases[name] = members;
    // Statements in file order, each include where it stands.
    size_t r = 0, d = 0;
    auto flush_until = [&](int line) {
      while (r < parsed->rules.size() && parsed->rules[r].line < line) {
        SudoRule rule = parsed->rules[r++];
        rule.file = path;
        out_->rules.push_back(std::move(rule));
      }
      while (d < parsed->defaults.size() && parsed->defaults[d].line < line) {
        SudoDefault def = parsed->defaults[d++];
        def.file = path;
        out_->defaults.push_back(std::move(def));
      }
    };
    const std::string dir = path.substr(0, path.rfind('/'));
    for (const SudoInclude& inc : parsed->includes) {
      flush_until(inc.line);
      const std::string where = env_.Describe(path) + ":" + std::to_string(inc.line);
      const std::string target = inc.path[0] == '/' ? inc.path : dir + "/" + inc.path;
      if (depth + 1 > kMaxIncludeDepth) {
        return Status::InvalidArgument(where + ": includes nest deeper than " +
                                       std::to_string(kMaxIncludeDepth));
      }
      std::vector<std::string> files;
      if (inc.directory) {
        auto names = env_.ListDir(target);
        if (!names.ok()) {
          if (names.status().IsNotFound()) continue;  // sudo skips a missing includedir
          return names.status().WithContext(where);
        }
        for (const std::string& n : *names) {
          if (n.ends_with("~") || n.find('.') != std::string::npos) continue;
          files.push_back(target + "/" + n);
        }
        std::sort(files.begin(), files.end());
      } else {
        files.push_back(target);
      }
      for (const std::string& f : files) {
        if (active_.contains(f)) {
          return Status::InvalidArgument(where + ": includes " + f + " again (an include loop)");
        }
        Status s = Load(f, depth + 1);
        if (!s.ok() && s.IsNotFound()) {
          if (inc.directory) continue;  // a dangling link in an includedir: skipped
          return Status::NotFound(where + ": " + s.message());
        }
        if (!s.ok()) return s;
      }
    }
    flush_until(1 << 30);
    active_.erase(path);
    return Status::OK();
  }

 private:
  const platform::Env& env_;
  SudoersPolicy* out_;
  std::set<std::string> active_;
};

}  // namespace

Result<SudoersPolicy> LoadSudoers(const platform::Env& env, const std::string& path) {
  SudoersPolicy policy;
  Loader loader(env, &policy);
  if (Status s = loader.Load(path, 0); !s.ok()) return s;
  return policy;
}

}  // namespace shoko::collectors::access
