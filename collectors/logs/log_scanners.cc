#include "collectors/logs/log_scanners.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "collectors/common/lines.h"
#include "platform/strings.h"

namespace shoko::collectors::logs {
namespace {

// A call's text may not exceed this: bounds the scan of an unclosed one.
constexpr size_t kMaxCallBytes = 64u << 10;

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Status ErrorAt(const std::string& where, int line, const std::string& what) {
  return Status::InvalidArgument(where + ":" + std::to_string(line) + ": " + what);
}

// `text` with '#' comments blanked out (not those inside double quotes),
// lines kept where they were so that offsets still give line numbers.
std::string WithoutComments(std::string_view text) {
  std::string out(text);
  bool quoted = false, comment = false;
  for (size_t i = 0; i < out.size(); ++i) {
    char& c = out[i];
    if (c == '\n') {
      quoted = comment = false;
    } else if (comment) {
      c = ' ';
    } else if (c == '\\' && quoted && i + 1 < out.size() && out[i + 1] != '\n') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == '#' && !quoted) {
      comment = true;
      c = ' ';
    }
  }
  return out;
}

struct Call {
  std::string inside;
  int line = 0;
};

// Each "KEYWORD ( ... )" of `text` (KEYWORD case-insensitive, a whole
// word): what is inside the parentheses, past nested calls and quoted
// strings, with the line it starts on.
Status FindCalls(std::string_view text, std::string_view keyword, const std::string& where,
                 std::vector<Call>* out) {
  const std::string lower = Lower(text);
  int line = 1;
  size_t counted = 0;  // newlines are counted up to here
  for (size_t at = lower.find(keyword); at != std::string::npos; at = lower.find(keyword, at + 1)) {
    if ((at > 0 && IsWordChar(lower[at - 1])) ||
        (at + keyword.size() < lower.size() && IsWordChar(lower[at + keyword.size()]))) {
      continue;
    }
    size_t i = at + keyword.size();
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || text[i] != '(') continue;
    line += static_cast<int>(std::count(text.begin() + static_cast<ptrdiff_t>(counted),
                                        text.begin() + static_cast<ptrdiff_t>(at), '\n'));
    counted = at;
    const size_t limit = std::min(text.size(), i + kMaxCallBytes);
    size_t end = i + 1;
    bool quoted = false;
    for (int depth = 1; end < limit; ++end) {
      const char c = text[end];
      if (quoted) {
        if (c == '\\')
          ++end;
        else if (c == '"')
          quoted = false;
      } else if (c == '"') {
        quoted = true;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')' && --depth == 0) {
        break;
      }
    }
    if (end >= limit) {
      return ErrorAt(where, line,
                     std::string(keyword) +
                         (limit == text.size() ? "( is never closed" : "( is longer than 64 KiB"));
    }
    out->push_back({std::string(text.substr(i + 1, end - i - 1)), line});
    at = end;  // nested calls are part of this one
  }
  return Status::OK();
}

// name="value" in an rsyslog action(...), the name case-insensitive.
std::string Param(std::string_view text, std::string_view name) {
  const std::string lower = Lower(text);
  const std::string key = Lower(name);
  for (size_t at = lower.find(key); at != std::string::npos; at = lower.find(key, at + 1)) {
    if (at > 0 && IsWordChar(lower[at - 1])) continue;
    size_t i = at + key.size();
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || text[i] != '=') continue;
    ++i;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || text[i] != '"') continue;
    const size_t end = text.find('"', i + 1);
    if (end == std::string::npos) return "";
    return std::string(text.substr(i + 1, end - i - 1));
  }
  return "";
}

std::vector<std::string> Words(std::string_view line) {
  std::vector<std::string> words;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

}  // namespace

Result<RsyslogScan> ScanRsyslog(std::string_view text, const std::string& where) {
  RsyslogScan scan;
  const std::string clean = WithoutComments(text);
  Status s = ForEachLine(clean, [&](int line_no, std::string_view line) -> Status {
    const std::vector<std::string> w = Words(line);
    if (w.size() >= 2 && w[0] == "$DefaultNetstreamDriver" && (w[1] == "gtls" || w[1] == "ossl")) {
      scan.tls_default = true;
    }
    if (w.size() < 2 || w[0][0] == '$' || w[1][0] != '@') return Status::OK();
    // "*.* @host:514" (UDP) or "@@host" (TCP), an "(o,z9)" group after the @s.
    const bool tcp = w[1].starts_with("@@");
    std::string target = w[1].substr(tcp ? 2 : 1);
    if (!target.empty() && target[0] == '(') {
      const size_t close = target.find(')');
      target = close == std::string::npos ? "" : target.substr(close + 1);
    }
    std::string port;
    if (const size_t semi = target.find(';'); semi != std::string::npos) {
      target.resize(semi);  // a template after the address
    }
    if (target.starts_with('[')) {  // [IPv6]:port
      const size_t close = target.find(']');
      if (close != std::string::npos && close + 1 < target.size() && target[close + 1] == ':') {
        port = target.substr(close + 2);
      }
      target = close == std::string::npos ? "" : target.substr(1, close - 1);
    } else if (const size_t colon = target.rfind(':'); colon != std::string::npos) {
      port = target.substr(colon + 1);
      target.resize(colon);
    }
    if (target.empty())
      return ErrorAt(where, line_no, "forwarding action '" + w[1] + "' names no host");
    scan.destinations.push_back(
        {"rsyslog", target, port, tcp ? "tcp" : "udp", std::nullopt, "", line_no});
    return Status::OK();
  });
  if (!s.ok()) return s;
  std::vector<Call> actions;
  if (Status c = FindCalls(clean, "action", where, &actions); !c.ok()) return c;
  for (const Call& a : actions) {
    const std::string type = Lower(Param(a.inside, "type"));
    if (type != "omfwd" && type != "omrelp") continue;
    const std::string driver = Param(a.inside, "StreamDriver");
    const std::string mode = Param(a.inside, "StreamDriverMode");
    const bool tls = (driver == "gtls" || driver == "ossl") && mode == "1";
    scan.destinations.push_back(
        {"rsyslog", Param(a.inside, "target"), Param(a.inside, "port"),
         type == "omrelp" ? "relp" : Lower(Param(a.inside, "protocol")),
         // Without a driver of its own, the default applies.
         driver.empty() && mode == "1" ? std::nullopt : std::optional<bool>(tls), "", a.line});
    if (scan.destinations.back().protocol.empty()) scan.destinations.back().protocol = "udp";
  }
  std::vector<Call> globals;
  if (Status c = FindCalls(clean, "global", where, &globals); !c.ok()) return c;
  for (const Call& g : globals) {
    const std::string driver = Param(g.inside, "DefaultNetstreamDriver");
    if (driver == "gtls" || driver == "ossl") scan.tls_default = true;
  }
  return scan;
}

Result<std::vector<LogDestination>> ScanSyslogNg(std::string_view text, const std::string& where) {
  std::vector<LogDestination> out;
  const std::string clean = WithoutComments(text);
  for (const char* kind : {"network", "tcp", "udp", "syslog"}) {
    std::vector<Call> calls;
    if (Status s = FindCalls(clean, kind, where, &calls); !s.ok()) return s;
    for (const Call& c : calls) {
      const size_t q = c.inside.find('"');
      const size_t q2 = q == std::string::npos ? q : c.inside.find('"', q + 1);
      if (q2 == std::string::npos) continue;  // syslog() as a source has no host
      std::vector<Call> ports;
      std::string port;
      if (FindCalls(c.inside, "port", where, &ports).ok() && !ports.empty()) {
        port = std::string(platform::Trim(ports.front().inside));
      }
      std::vector<Call> transports;
      std::string transport;
      if (FindCalls(c.inside, "transport", where, &transports).ok() && !transports.empty()) {
        transport = Lower(std::string(platform::Trim(transports.front().inside)));
      }
      out.push_back(
          {"syslog-ng", c.inside.substr(q + 1, q2 - q - 1), port, kind,
           transport.find("tls") != std::string::npos || c.inside.find("tls(") != std::string::npos,
           "", c.line});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const LogDestination& a, const LogDestination& b) {
    return a.line < b.line;
  });
  return out;
}

Result<NtpScan> ScanNtpConfig(std::string_view text, const std::string& where) {
  NtpScan scan;
  Status s = ForEachLine(text, [&](int line_no, std::string_view line) -> Status {
    const std::vector<std::string> w = Words(line);
    if (w.empty() || std::string_view("#!;%").find(w[0][0]) != std::string_view::npos) {
      return Status::OK();
    }
    if (w[0] == "server" || w[0] == "pool" || w[0] == "peer") {
      if (w.size() < 2 || w[1][0] == '#') {
        return ErrorAt(where, line_no, "'" + w[0] + "' names no host");
      }
      scan.servers.push_back(w[1]);
    } else if (w[0] == "confdir" || w[0] == "sourcedir") {
      for (size_t i = 1; i < w.size() && w[i][0] != '#'; ++i) {
        scan.dirs.emplace_back(w[i], w[0] == "confdir" ? ".conf" : ".sources");
      }
    } else if (w[0] == "include" && w.size() >= 2) {
      scan.includes.push_back(w[1]);
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return scan;
}

Result<std::map<std::string, std::string>> ParseAuditdConf(std::string_view text,
                                                           const std::string& where) {
  std::map<std::string, std::string> values;
  Status s = ForEachLine(text, [&](int line_no, std::string_view line) -> Status {
    const std::string t = std::string(platform::Trim(line));
    if (t.empty() || t[0] == '#') return Status::OK();
    const size_t eq = t.find('=');
    if (eq == std::string::npos || std::string(platform::Trim(t.substr(0, eq))).empty()) {
      return ErrorAt(where, line_no, "not a 'key = value' line");
    }
    values[std::string(platform::Trim(t.substr(0, eq)))] =
        std::string(platform::Trim(t.substr(eq + 1)));
    return Status::OK();
  });
  if (!s.ok()) return s;
  return values;
}

Status ScanAuditRules(std::string_view text, const std::string& where, AuditRules* into) {
  return ForEachLine(text, [&](int line_no, std::string_view line) -> Status {
    const std::vector<std::string> w = Words(line);
    if (w.empty() || w[0][0] == '#') return Status::OK();
    for (size_t i = 0; i < w.size(); ++i) {
      if (w[i] == "-w" || w[i] == "-S") {
        if (i + 1 >= w.size() || w[i + 1][0] == '-') {
          return ErrorAt(where, line_no, w[i] + " without an argument");
        }
        if (w[i] == "-w") {
          into->paths.insert(w[++i]);
        } else {
          std::istringstream calls(w[++i]);
          for (std::string c; std::getline(calls, c, ',');) {
            if (!c.empty()) into->syscalls.insert(c);
          }
        }
      } else if (w[i].starts_with("path=") || w[i].starts_with("dir=")) {
        into->paths.insert(w[i].substr(w[i].find('=') + 1));
      }
    }
    return Status::OK();
  });
}

}  // namespace shoko::collectors::logs
