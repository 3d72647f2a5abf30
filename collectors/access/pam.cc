#include "collectors/access/pam.h"

#include <set>
#include <sstream>

#include "collectors/common/lines.h"
#include "platform/strings.h"

namespace shoko::collectors::access {
namespace {

constexpr int kMaxDepth = 16;
constexpr size_t kMaxBytes = 1u << 20;

// Whitespace-separated words; "[...]" (with spaces inside) is one word.
Result<std::vector<std::string>> Words(std::string_view line, const std::string& file, int n) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    const size_t start = i;
    if (line[i] == '[') {
      const size_t close = line.find(']', i);
      if (close == std::string_view::npos) {
        return Status::InvalidArgument(file + ":" + std::to_string(n) +
                                       ": a '[' control is never closed");
      }
      i = close + 1;
    }
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    out.emplace_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace

Result<std::vector<PamLine>> ParsePamText(std::string_view text, const std::string& file) {
  std::vector<PamLine> lines;
  std::string pending;
  int start = 0;
  Lines in(text);
  for (std::string_view raw; in.Next(&raw);) {
    if (pending.empty()) start = in.number();
    std::string line = std::string(platform::Trim(raw));
    if (const size_t hash = line.find('#'); hash != std::string::npos)
      line = std::string(platform::Trim(line.substr(0, hash)));
    if (!line.empty() && line.back() == '\\') {  // continued
      pending += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    line = pending + line;
    pending.clear();
    if (std::string(platform::Trim(line)).empty()) continue;
    auto words = Words(line, file, start);
    if (!words.ok()) return words.status();
    PamLine p;
    p.file = file;
    p.line = start;
    if ((*words)[0] == "@include") {
      if (words->size() != 2) {
        return Status::InvalidArgument(file + ":" + std::to_string(start) +
                                       ": @include takes one service name");
      }
      p.type = "@include";
      p.module = (*words)[1];
      lines.push_back(std::move(p));
      continue;
    }
    if (words->size() < 3) {
      return Status::InvalidArgument(file + ":" + std::to_string(start) +
                                     ": expected 'type control module [arguments]'");
    }
    p.type = (*words)[0];
    if (!p.type.empty() && p.type[0] == '-') p.type.erase(0, 1);
    static const std::set<std::string> kTypes = {"auth", "account", "password", "session"};
    if (!kTypes.contains(p.type)) {
      return Status::InvalidArgument(file + ":" + std::to_string(start) + ": unknown type '" +
                                     p.type + "'");
    }
    p.control = (*words)[1];
    p.module = (*words)[2];
    const size_t slash = p.module.rfind('/');
    if (slash != std::string::npos && p.control != "include" && p.control != "substack") {
      p.module = p.module.substr(slash + 1);  // /lib/security/pam_x.so → pam_x.so
    }
    p.args.assign(words->begin() + 3, words->end());
    lines.push_back(std::move(p));
  }
  return lines;
}

namespace {

Status Expand(const platform::Env& env, const std::string& service, const std::string& only_type,
              int depth, std::set<std::string>& active, std::vector<PamLine>* out) {
  const std::string path = service.starts_with("/") ? service : "/etc/pam.d/" + service;
  auto text = env.ReadFile(path, kMaxBytes);
  if (!text.ok()) return text.status();
  auto lines = ParsePamText(*text, path);
  if (!lines.ok()) return lines.status().WithContext(env.Describe(path));
  active.insert(path);
  for (PamLine& l : *lines) {
    const bool include = l.type == "@include" || l.control == "include" || l.control == "substack";
    if (!include) {
      if (only_type.empty() || l.type == only_type) out->push_back(std::move(l));
      continue;
    }
    if (!only_type.empty() && l.type != "@include" && l.type != only_type) continue;
    const std::string target = l.module.starts_with("/") ? l.module : "/etc/pam.d/" + l.module;
    const std::string where = env.Describe(path) + ":" + std::to_string(l.line);
    if (active.contains(target)) {
      return Status::InvalidArgument(where + ": includes " + target + " again (an include loop)");
    }
    if (depth + 1 > kMaxDepth) {
      return Status::InvalidArgument(where + ": includes nest deeper than 16");
    }
    // "auth include X" takes only X's auth lines; "@include X" takes all.
    Status s =
        Expand(env, target, l.type == "@include" ? only_type : l.type, depth + 1, active, out);
    if (!s.ok()) return s.IsNotFound() ? Status::NotFound(where + ": " + s.message()) : s;
  }
  active.erase(path);
  return Status::OK();
}

}  // namespace

Result<std::vector<PamLine>> LoadPamStack(const platform::Env& env, const std::string& service) {
  std::vector<PamLine> out;
  std::set<std::string> active;
  if (Status s = Expand(env, service, "", 0, active, &out); !s.ok()) return s;
  return out;
}

std::map<std::string, std::string> ParseKeyValueConf(std::string_view text) {
  std::map<std::string, std::string> values;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    line = std::string(platform::Trim(line));
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) {
      values[line] = "";
    } else {
      values[std::string(platform::Trim(line.substr(0, eq)))] =
          std::string(platform::Trim(line.substr(eq + 1)));
    }
  }
  return values;
}

}  // namespace shoko::collectors::access
