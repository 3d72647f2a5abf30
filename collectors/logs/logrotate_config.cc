#include "collectors/logs/logrotate_config.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "collectors/common/lines.h"
#include "platform/strings.h"

namespace shoko::collectors::logs {
namespace {

constexpr size_t kMaxConfigBytes = 4u << 20;
constexpr int kMaxIncludeDepth = 16;

// Words of a line; "..." and '...' keep their spaces.
std::vector<std::string> Words(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    std::string w;
    if (line[i] == '"' || line[i] == '\'') {
      const char q = line[i++];
      while (i < line.size() && line[i] != q) w += line[i++];
      ++i;
    } else {
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) w += line[i++];
    }
    words.push_back(std::move(w));
  }
  return words;
}

// logrotate's sizes: a number with an optional k, M or G suffix.
std::optional<uint64_t> ParseSize(const std::string& s) {
  if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0]))) return std::nullopt;
  size_t end = 0;
  uint64_t n = 0;
  while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) {
    if (n > (UINT64_MAX - 9) / 10) return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(s[end++] - '0');
  }
  const std::string unit = s.substr(end);
  uint64_t mult = 1;
  if (unit == "k" || unit == "K")
    mult = 1024;
  else if (unit == "M")
    mult = 1024 * 1024;
  else if (unit == "G")
    mult = 1024ull * 1024 * 1024;
  else if (!unit.empty())
    return std::nullopt;
  if (n > UINT64_MAX / mult) return std::nullopt;
  return n * mult;
}

std::optional<int> ParseCount(const std::string& s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return std::stoi(s);
}

// Files logrotate skips in an included directory.
bool Taboo(const std::string& name) {
  static const char* const kSuffixes[] = {".rpmsave",  ".rpmorig",   "~",           ".disabled",
                                          ".dpkg-old", ".dpkg-dist", ".dpkg-new",   ".cfsaved",
                                          ".ucf-old",  ".ucf-dist",  ".ucf-new",    ".rpmnew",
                                          ".swp",      ".cfsaved",   ".rhn-cfg-tmp"};
  for (const char* s : kSuffixes) {
    if (name.size() >= std::string_view(s).size() && name.ends_with(s)) return true;
  }
  return name.empty() || name[0] == '.';
}

class Parser {
 public:
  Parser(const platform::Env& env, LogrotateConfig* out) : env_(env), out_(out) {}

  Status ParseFile(const std::string& path, int depth) {
    if (depth > kMaxIncludeDepth) {
      return Status::InvalidArgument(env_.Describe(path) + ": includes nest deeper than " +
                                     std::to_string(kMaxIncludeDepth) + " (an include loop?)");
    }
    if (active_.count(path) > 0) {
      return Status::InvalidArgument(env_.Describe(path) + ": includes itself (an include loop)");
    }
    auto text = env_.ReadFile(path, kMaxConfigBytes);
    if (!text.ok()) return text.status();
    active_.insert(path);
    out_->files.push_back(path);
    Status s = ParseText(*text, path, depth);
    active_.erase(path);
    return s;
  }

 private:
  Status Fail(const std::string& path, int line, const std::string& why) {
    return Status::InvalidArgument(env_.Describe(path) + ":" + std::to_string(line) + ": " + why);
  }

  Status Include(const std::string& from, int line, const std::string& target, int depth) {
    auto info = env_.Stat(target);
    if (!info.ok()) {
      // logrotate: "cannot stat" is an error for the including file.
      return Fail(from, line, "include " + target + ": " + info.status().message());
    }
    // A file already being read loops: named at this include line.
    auto loop = [&](const std::string& p) {
      return Fail(from, line, "include " + target + ": reads " + p + " again (an include loop)");
    };
    if (info->type != platform::FileInfo::Type::kDirectory) {
      return active_.count(target) > 0 ? loop(target) : ParseFile(target, depth + 1);
    }
    auto names = env_.ListDir(target);
    if (!names.ok()) return names.status();
    for (const std::string& n : *names) {
      if (Taboo(n)) continue;
      const std::string p = target + "/" + n;
      auto entry = env_.Stat(p);
      if (!entry.ok() || entry->type != platform::FileInfo::Type::kRegular) continue;
      if (active_.count(p) > 0) return loop(p);
      if (Status s = ParseFile(p, depth + 1); !s.ok()) return s;
    }
    return Status::OK();
  }

  // Applies a directive to `p`; `block` false for the global defaults.
  Status Apply(LogrotatePolicy& p, const std::vector<std::string>& w, const std::string& path,
               int line) {
    const std::string& d = w[0];
    auto arg = [&]() -> std::string { return w.size() > 1 ? w[1] : ""; };
    if (d == "hourly" || d == "daily" || d == "weekly" || d == "monthly" || d == "yearly") {
      p.frequency = d;
      p.size.reset();
    } else if (d == "rotate") {
      auto n = ParseCount(arg());
      if (!n || w.size() != 2) return Fail(path, line, "bad rotation count '" + arg() + "'");
      p.rotate = *n;
    } else if (d == "size" || d == "maxsize" || d == "minsize") {
      auto n = ParseSize(arg());
      if (!n || w.size() != 2) return Fail(path, line, "bad size '" + arg() + "' for " + d);
      if (d == "size") {
        p.size = n;
        p.frequency = "size";
      } else if (d == "maxsize") {
        p.maxsize = n;
      } else {
        p.minsize = n;
      }
    } else if (d == "maxage") {
      auto n = ParseCount(arg());
      if (!n || w.size() != 2) return Fail(path, line, "bad maximum age '" + arg() + "'");
      p.maxage = *n;
    } else if (d == "compress") {
      p.compress = true;
    } else if (d == "nocompress") {
      p.compress = false;
    } else if (d == "missingok") {
      p.missingok = true;
    } else if (d == "nomissingok") {
      p.missingok = false;
    } else if (d == "olddir") {
      if (w.size() != 2) return Fail(path, line, "olddir takes one directory");
      p.olddir = w[1];
    } else if (d == "noolddir") {
      p.olddir.clear();
    } else if (kIgnored.count(d) == 0) {
      out_->warnings.push_back(env_.Describe(path) + ":" + std::to_string(line) +
                               ": unknown option '" + d + "' -- ignoring line");
    }
    return Status::OK();
  }

  // Where the reading of one file stands between lines.
  struct TextState {
    std::optional<LogrotatePolicy> block;
    std::vector<std::string> pending;  // log names read, waiting for '{'
    int pending_line = 0;
    std::string script;  // the directive whose script runs until endscript
    int script_line = 0;
  };

  Status ParseText(std::string_view text, const std::string& path, int depth) {
    TextState st;
    Lines lines(text);
    for (std::string_view raw; lines.Next(&raw);) {
      if (raw.find('\0') != std::string_view::npos) {
        return Fail(path, lines.number(), "NUL byte in text");
      }
      SHOKO_RETURN_IF_ERROR(ParseLine(platform::Trim(raw), path, lines.number(), depth, st));
    }
    if (!st.script.empty()) return Fail(path, st.script_line, st.script + " without endscript");
    if (st.block) return Fail(path, st.block->line, "block is never closed");
    if (!st.pending.empty()) return Fail(path, st.pending_line, "log names without a '{' block");
    return Status::OK();
  }

  Status ParseLine(std::string_view line, const std::string& path, int line_no, int depth,
                   TextState& st) {
    if (!st.script.empty()) {
      if (line == "endscript") st.script.clear();
      return Status::OK();
    }
    if (line.empty() || line[0] == '#') return Status::OK();
    std::vector<std::string> w = Words(line);
    if (w.empty()) return Status::OK();
    // Outside a block, a line starting with a path (/, ", ', ~) names logs;
    // the names may run over several lines until the '{'.
    const char first = line[0];
    if (!st.block && (first == '/' || first == '"' || first == '\'' || first == '~' ||
                      (first == '{' && !st.pending.empty()))) {
      return NameLogs(w, path, line_no, st);
    }
    if (!st.pending.empty()) return Fail(path, st.pending_line, "log names without a '{' block");
    if (!st.block && (w.back() == "{" || (!w.back().empty() && w.back().back() == '{'))) {
      return Fail(path, line_no, "a block must start with a log path");
    }
    if (w[0] == "}") {
      if (!st.block) return Fail(path, line_no, "'}' without a block");
      if (w.size() > 1) return Fail(path, line_no, "text after '}'");
      AddBlock(*st.block);
      st.block.reset();
      return Status::OK();
    }
    static const std::set<std::string> kScripts = {"postrotate", "prerotate", "firstaction",
                                                   "lastaction", "preremove"};
    if (kScripts.count(w[0]) > 0) {
      if (!st.block) return Fail(path, line_no, w[0] + " outside a block");
      st.script = w[0];
      st.script_line = line_no;
      return Status::OK();
    }
    if (w[0] == "include") {
      if (st.block) return Fail(path, line_no, "include inside a block");
      if (w.size() != 2) return Fail(path, line_no, "include takes one path");
      return Include(path, line_no, w[1], depth);
    }
    return Apply(st.block ? *st.block : defaults_, w, path, line_no);
  }

  // Log names, up to the '{' that opens their block.
  Status NameLogs(std::vector<std::string>& w, const std::string& path, int line_no,
                  TextState& st) {
    if (st.pending.empty()) st.pending_line = line_no;
    bool opens = false;
    for (std::string& word : w) {
      if (word == "{") {
        opens = true;
        continue;
      }
      if (word.size() > 1 && word.back() == '{' && word.front() != '"' && word.front() != '\'') {
        word.pop_back();
        opens = true;
      }
      st.pending.push_back(word);
    }
    if (!opens) return Status::OK();
    if (st.pending.empty()) return Fail(path, line_no, "a block without a path");
    st.block = defaults_;
    st.block->patterns = std::move(st.pending);
    st.pending.clear();
    st.block->file = path;
    st.block->line = st.pending_line;
    return Status::OK();
  }

  // logrotate refuses a path already configured: the later block is dropped.
  void AddBlock(LogrotatePolicy& block) {
    std::vector<std::string> kept;
    for (const std::string& p : block.patterns) {
      if (seen_.insert(p).second) {
        kept.push_back(p);
      } else {
        out_->warnings.push_back(env_.Describe(block.file) + ":" + std::to_string(block.line) +
                                 ": duplicate log entry for " + p);
      }
    }
    if (kept.size() != block.patterns.size()) return;  // logrotate drops the whole block
    out_->policies.push_back(block);
  }

  inline static const std::set<std::string> kIgnored = {
      "notifempty",     "ifempty",       "create",          "nocreate",        "copytruncate",
      "nocopytruncate", "delaycompress", "nodelaycompress", "sharedscripts",   "nosharedscripts",
      "dateext",        "nodateext",     "dateformat",      "dateyesterday",   "su",
      "mail",           "nomail",        "mailfirst",       "maillast",        "extension",
      "compresscmd",    "uncompresscmd", "compressext",     "compressoptions", "tabooext",
      "taboopat",       "start",         "shred",           "noshred",         "shredcycles",
      "copy",           "nocopy",        "createolddir",    "nocreateolddir",  "renamecopy",
      "norenamecopy",   "minage",        "allowhardlink",   "noallowhardlink", "ignoreduplicates",
      "addextension"};
  const platform::Env& env_;
  LogrotateConfig* out_;
  LogrotatePolicy defaults_;
  std::set<std::string> active_;
  std::set<std::string> seen_;
};

}  // namespace

Result<LogrotateConfig> LoadLogrotateConfig(const platform::Env& env, const std::string& main) {
  LogrotateConfig config;
  Parser parser(env, &config);
  if (Status s = parser.ParseFile(main, 0); !s.ok()) return s;
  return config;
}

std::optional<double> RetentionDays(const LogrotatePolicy& p, std::string* why) {
  if (p.frequency == "size" || p.maxsize) {
    if (why != nullptr) {
      *why = p.frequency == "size"
                 ? "rotated by size: the history kept depends on how fast the log grows"
                 : "maxsize may rotate before the period ends: the history kept depends on how "
                   "fast the log grows";
    }
    return std::nullopt;
  }
  double period = p.frequency == "hourly"    ? 1.0 / 24
                  : p.frequency == "daily"   ? 1
                  : p.frequency == "weekly"  ? 7
                  : p.frequency == "monthly" ? 28
                                             : 365;
  double days = period * p.rotate;
  if (p.maxage && *p.maxage < days) days = *p.maxage;
  return days;
}

}  // namespace shoko::collectors::logs
