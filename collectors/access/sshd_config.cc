#include "collectors/access/sshd_config.h"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include "collectors/access/sshd_config_parser.h"

namespace shoko::collectors::access {
namespace {

constexpr int kMaxIncludeDepth = 16;  // SERVCONF_MAX_DEPTH in OpenSSH
// Depth alone does not bound the work: 4 files per level over 16 levels are
// 4^16 reads. No real configuration comes near this many files.
constexpr size_t kMaxFiles = 256;

// Keywords whose every occurrence adds to a list instead of first-wins.
const std::set<std::string, std::less<>> kListKeywords = {
    "acceptenv",       "allowgroups",   "allowusers", "denygroups", "denyusers", "hostkey",
    "hostcertificate", "listenaddress", "port",       "setenv",     "subsystem"};

// Compiled-in defaults of OpenSSH 9.2 (as `sshd -T` prints them with an empty
// config) for the keywords shoko judges.
const std::vector<std::pair<const char*, const char*>> kDefaults = {
    {"authorizedkeysfile", ".ssh/authorized_keys .ssh/authorized_keys2"},
    {"clientalivecountmax", "3"},
    {"clientaliveinterval", "0"},
    {"hostbasedauthentication", "no"},
    {"ignorerhosts", "yes"},
    {"kbdinteractiveauthentication", "yes"},
    {"logingracetime", "120"},
    {"loglevel", "INFO"},
    {"maxauthtries", "6"},
    {"maxsessions", "10"},
    {"passwordauthentication", "yes"},
    {"permitemptypasswords", "no"},
    {"permitrootlogin", "without-password"},
    {"permituserenvironment", "no"},
    {"pubkeyauthentication", "yes"},
    {"usepam", "no"},
    {"x11forwarding", "no"},
};

// Algorithm lists as OpenSSH 9.2 (Debian 12's build) knows them: what `ssh -Q
// cipher|mac|kex` lists, and the default sshd -T prints.
struct AlgorithmList {
  const char* keyword;
  const char* spec_name;  // in sshd's "Bad SSH2 <name> spec" refusal
  const char* all;
  const char* defaults;
};
const AlgorithmList kAlgorithmLists[] = {
    {"ciphers", "cipher",
     "3des-cbc,aes128-cbc,aes192-cbc,aes256-cbc,aes128-ctr,aes192-ctr,aes256-ctr,"
     "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com",
     "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"
     "aes256-gcm@openssh.com"},
    {"macs", "mac",
     "hmac-sha1,hmac-sha1-96,hmac-sha2-256,hmac-sha2-512,hmac-md5,hmac-md5-96,"
     "umac-64@openssh.com,umac-128@openssh.com,hmac-sha1-etm@openssh.com,"
     "hmac-sha1-96-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
     "hmac-md5-etm@openssh.com,hmac-md5-96-etm@openssh.com,umac-64-etm@openssh.com,"
     "umac-128-etm@openssh.com",
     "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
     "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
     "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1"},
    {"kexalgorithms", "kex",
     "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,"
     "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
     "diffie-hellman-group-exchange-sha1,diffie-hellman-group-exchange-sha256,"
     "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,curve25519-sha256,"
     "curve25519-sha256@libssh.org,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com",
     "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
     "curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
     "diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
     "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"},
};

const AlgorithmList* AlgorithmListFor(std::string_view keyword) {
  for (const AlgorithmList& l : kAlgorithmLists) {
    if (keyword == l.keyword) return &l;
  }
  return nullptr;
}

std::vector<std::string> SplitCommas(std::string_view text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    out.emplace_back(text.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

// The list as kex_assemble_names() builds it: "+names" appended to the
// default, "-patterns" removed from it, "^names" put before it, else the
// names as given; duplicates dropped, order kept. Names (not "-" patterns)
// must be known, or sshd refuses the file.
Result<std::string> AssembleAlgorithms(const AlgorithmList& list, const std::string& value) {
  const std::vector<std::string> all = SplitCommas(list.all);
  const std::vector<std::string> defaults = SplitCommas(list.defaults);
  const char op = value.empty() ? '\0' : value[0];
  const std::string names = op == '+' || op == '-' || op == '^' ? value.substr(1) : value;
  const std::vector<std::string> given = SplitCommas(names);
  const auto bad =
      Status::InvalidArgument("Bad SSH2 " + std::string(list.spec_name) + " spec '" + value + "'");
  if (op != '-') {
    for (const std::string& n : given) {
      if (std::find(all.begin(), all.end(), n) == all.end()) return bad;
    }
  }
  std::vector<std::string> out;
  auto add = [&](const std::vector<std::string>& v) {
    for (const std::string& n : v) {
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
  };
  if (op == '+') {
    add(defaults);
    add(given);
  } else if (op == '^') {
    add(given);
    add(defaults);
  } else if (op == '-') {
    for (const std::string& n : defaults) {
      bool removed = false;
      for (const std::string& pattern : given)
        removed = removed || ::fnmatch(pattern.c_str(), n.c_str(), 0) == 0;
      if (!removed) add({n});
    }
  } else {
    add(given);
  }
  std::string joined;
  for (const std::string& n : out) joined += (joined.empty() ? "" : ",") + n;
  return joined;
}

const std::set<std::string, std::less<>> kTimeKeywords = {"logingracetime", "clientaliveinterval"};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Join(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

class Resolver {
 public:
  Resolver(const platform::Env& env, SshdConfig* out) : env_(env), out_(out) {}

  // Reads one file. `active`: its lines apply globally; `never_match`: it was
  // included from inside a Match block, so no "Match all" can make it global;
  // `block`: the index of the Match block its lines belong to, if any.
  Status ReadFile(const std::string& path, bool active, bool never_match,
                  std::optional<size_t> block, int depth) {
    if (depth > kMaxIncludeDepth) {
      return Status::InvalidArgument(path + ": too many nested Includes (more than " +
                                     std::to_string(kMaxIncludeDepth) + "; an Include loop?)");
    }
    if (out_->files.size() >= kMaxFiles) {
      return Status::InvalidArgument(path + ": more than " + std::to_string(kMaxFiles) +
                                     " files read through Include");
    }
    auto text = env_.ReadFile(path);
    if (!text.ok()) return text.status();
    out_->files.push_back(path);
    auto directives = ParseSshdConfigText(*text, path);
    if (!directives.ok()) return directives.status();
    for (SshdDirective d : *directives) {
      // Older spellings sshd still accepts, under the name sshd -T prints.
      static const std::map<std::string, std::string, std::less<>> kAliases = {
          {"challengeresponseauthentication", "kbdinteractiveauthentication"},
          {"pubkeyacceptedkeytypes", "pubkeyacceptedalgorithms"},
          {"hostbasedacceptedkeytypes", "hostbasedacceptedalgorithms"}};
      if (auto alias = kAliases.find(d.keyword); alias != kAliases.end()) d.keyword = alias->second;
      if (d.keyword == "match") {
        bool all = d.args.size() == 1 && Lower(d.args[0]) == "all";
        active = all && !never_match;
        block.reset();
        if (!all) {
          out_->match_blocks.push_back({Join(d.args), path, d.line, nlohmann::json::object()});
          block = out_->match_blocks.size() - 1;
        }
        continue;
      }
      const std::string where = path + ":" + std::to_string(d.line);
      if (d.keyword == "include") {
        for (const std::string& pattern : d.args) {
          if (pattern.empty())
            return Status::InvalidArgument(where + ": Include with an empty argument");
          std::string abs = pattern.front() == '/' ? pattern : "/etc/ssh/" + pattern;
          auto files = platform::Glob(env_, abs);
          if (!files.ok()) return files.status().WithContext(where);
          for (const std::string& f : *files) {
            // An included file does not change the includer's Match state.
            Status s = ReadFile(f, active, never_match || !active, block, depth + 1);
            if (!s.ok()) return depth == 0 ? s.WithNote("included from " + where) : s;
          }
        }
        continue;
      }
      SHOKO_RETURN_IF_ERROR(CheckSshdArguments(d, path));
      std::string value = NormalizeSshdValue(d.keyword, Join(d.args));
      if (const AlgorithmList* list = AlgorithmListFor(d.keyword)) {
        auto assembled = AssembleAlgorithms(*list, Join(d.args));
        if (!assembled.ok()) return assembled.status().WithContext(where);
        value = *assembled;
      }
      if (block) {
        nlohmann::json& overrides = out_->match_blocks[*block].overrides;
        if (!overrides.contains(d.keyword)) overrides[d.keyword] = value;
        continue;
      }
      if (!active) continue;
      nlohmann::json& eff = out_->effective;
      if (kListKeywords.contains(d.keyword)) {
        if (!eff.contains(d.keyword)) eff[d.keyword] = nlohmann::json::array();
        // One entry per value as `sshd -T` prints them; a Subsystem is one
        // entry of name and command.
        if (d.keyword == "subsystem") {
          eff[d.keyword].push_back(Join(d.args));
        } else {
          for (const std::string& a : d.args) eff[d.keyword].push_back(a);
        }
      } else if (!eff.contains(d.keyword)) {
        eff[d.keyword] = value;
      }
    }
    return Status::OK();
  }

 private:
  const platform::Env& env_;
  SshdConfig* out_;
};

}  // namespace

std::string NormalizeSshdValue(const std::string& keyword, const std::string& value) {
  if (kTimeKeywords.contains(keyword)) {
    auto seconds = ParseSshdTime(value);
    return seconds.ok() ? std::to_string(*seconds) : value;
  }
  if (keyword == "loglevel") {
    std::string upper = value;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return upper;
  }
  std::string lower = Lower(value);
  if (keyword == "permitrootlogin" && lower == "prohibit-password") return "without-password";
  // Flags and enumerations print in lower case; free-form values keep their case.
  static const std::set<std::string, std::less<>> kEnumValues = {"yes",
                                                                 "no",
                                                                 "without-password",
                                                                 "forced-commands-only",
                                                                 "any",
                                                                 "inet",
                                                                 "inet6",
                                                                 "local",
                                                                 "remote",
                                                                 "all",
                                                                 "none",
                                                                 "sandbox"};
  return kEnumValues.contains(lower) ? lower : value;
}

Result<SshdConfig> LoadSshdConfig(const platform::Env& env, const std::string& path) {
  SshdConfig config;
  Resolver resolver(env, &config);
  SHOKO_RETURN_IF_ERROR(
      resolver.ReadFile(path, /*active=*/true, /*never_match=*/false, std::nullopt, 0));
  for (const auto& [keyword, value] : kDefaults) {
    if (!config.effective.contains(keyword)) config.effective[keyword] = value;
  }
  for (const AlgorithmList& list : kAlgorithmLists) {
    if (!config.effective.contains(list.keyword)) config.effective[list.keyword] = list.defaults;
  }
  return config;
}

}  // namespace shoko::collectors::access
