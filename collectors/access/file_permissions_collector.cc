// access.file_permissions: mode and owner of the files that hold identities,
// privileges and keys — passwd, shadow, group, gshadow, sudoers and what it
// includes, sshd_config and what it includes, SSH host private keys, cron —
// against the baseline (8.3, 8.2; AC-3, AC-6(1)). Names come from the root's
// own passwd and group, so a mounted image is judged by its own accounts.
#include <fnmatch.h>

#include <set>

#include "collectors/access/accounts.h"
#include "collectors/access/host_files.h"
#include "collectors/collector.h"
#include "collectors/expected.h"
#include "platform/strings.h"

namespace shoko::collectors::access {
namespace {

constexpr char kCheck[] = "access.file_permissions";

struct Expectation {
  std::string pattern;  // a path or a glob; "@sudoers", "@sshd_config", "@host_keys" for sets
  uint32_t max_mode = 0;
  std::vector<std::string> owners;
  std::vector<std::string> groups;
};

std::string Octal(uint32_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

std::vector<std::string> Strings(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (j.is_string()) out.push_back(j.get<std::string>());
  if (j.is_array()) {
    for (const auto& v : j) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

const controls::BaselineKey kFiles =
    controls::ObjectListKey("files", {controls::StringKey("path"), controls::ModeKey("max_mode"),
                                      controls::NameOrListKey("owner").Optional(),
                                      controls::NameOrListKey("group").Optional()});
const CollectorDeclaration kDeclaration = JudgedObservation(kCheck, {kFiles});

// The baseline's files, in its order.
Result<std::vector<Expectation>> Expectations(const Expected& expected) {
  SHOKO_ASSIGN_OR_RETURN(const nlohmann::json files, expected.Value(kFiles));
  if (files.empty()) {
    return Status::InvalidArgument("baseline has no 'files' for " + std::string(kCheck));
  }
  std::vector<Expectation> out;
  for (const auto& f : files) {
    Expectation e;
    e.pattern = f["path"].get<std::string>();
    e.max_mode = static_cast<uint32_t>(std::stoul(f["max_mode"].get<std::string>(), nullptr, 8));
    e.owners = Strings(f.value("owner", nlohmann::json()));
    e.groups = Strings(f.value("group", nlohmann::json()));
    out.push_back(std::move(e));
  }
  return out;
}

// The sets "@" names: sudoers with includes, sshd_config with includes, host keys.
std::map<std::string, std::vector<std::string>> Sets(const CollectContext& ctx) {
  std::map<std::string, std::vector<std::string>> sets;
  if (const auto& sudo = SudoersOf(ctx); sudo.ok()) sets["@sudoers"] = sudo->files;
  if (const auto& sshd = SshdConfigOf(ctx); sshd.ok()) {
    sets["@sshd_config"] = sshd->files;
    std::vector<std::string> keys;
    if (sshd->effective.contains("hostkey")) keys = Strings(sshd->effective["hostkey"]);
    if (keys.empty()) {
      keys = {"/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ecdsa_key",
              "/etc/ssh/ssh_host_ed25519_key"};
    }
    sets["@host_keys"] = keys;
  }
  return sets;
}

// The facts of one file and, when it is not as `e` wants, what is wrong.
nlohmann::json Judge(const std::string& path, const platform::FileInfo& info, const Expectation& e,
                     const AccountNames& names, std::vector<std::string>* problems) {
  const std::string owner = names.User(info.uid);
  const std::string group = names.Group(info.gid);
  std::vector<std::string> wrong;
  if (info.type == platform::FileInfo::Type::kSymlink) wrong.push_back("is a symbolic link");
  if ((info.mode & 07777 & ~e.max_mode) != 0) {
    wrong.push_back("mode " + Octal(info.mode) + " exceeds " + Octal(e.max_mode));
  }
  if (!e.owners.empty() && std::find(e.owners.begin(), e.owners.end(), owner) == e.owners.end()) {
    wrong.push_back("owned by " + owner);
  }
  if (!e.groups.empty() && std::find(e.groups.begin(), e.groups.end(), group) == e.groups.end()) {
    wrong.push_back("group " + group);
  }
  nlohmann::json j = {{"path", path},
                      {"mode", Octal(info.mode)},
                      {"owner", owner},
                      {"group", group},
                      {"max_mode", Octal(e.max_mode)}};
  if (!wrong.empty()) {
    j["problem"] = platform::Join(wrong, ", ");
    problems->push_back(path + ": " + platform::Join(wrong, ", "));
  }
  return j;
}

// The paths `pattern` names: a set, a glob, or itself.
std::vector<std::string> PathsOf(const CollectContext& ctx, const std::string& pattern,
                                 const std::map<std::string, std::vector<std::string>>& sets) {
  if (pattern.starts_with("@")) {
    auto it = sets.find(pattern);
    return it == sets.end() ? std::vector<std::string>() : it->second;
  }
  if (pattern.find_first_of("*?[") != std::string::npos) {
    if (auto m = platform::Glob(ctx.env, pattern); m.ok()) return *m;
    return {};
  }
  return {pattern};
}

class FilePermissionsCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    const Expected expected(ctx.baseline, kCheck);
    obs.expected = expected.json();
    auto rules = Expectations(expected);
    if (!rules.ok()) {
      obs.verdict = Verdict::kError;
      obs.message = rules.status().message();
      return {obs};
    }
    // uid/gid → name, by the root's own files.
    const AccountNames& names = AccountNamesOf(ctx);
    const auto sets = Sets(ctx);
    nlohmann::json files = nlohmann::json::array();
    std::vector<std::string> problems;
    std::set<std::string> seen;
    for (const Expectation& e : *rules) {
      for (const std::string& path : PathsOf(ctx, e.pattern, sets)) {
        if (!seen.insert(path).second) continue;  // the first rule naming a file judges it
        auto info = ctx.env.Stat(path, /*follow=*/false);
        if (!info.ok()) continue;  // absent: nothing to protect
        files.push_back(Judge(path, *info, e, names, &problems));
      }
    }
    obs.facts = {{"files", files}};
    obs.verdict = problems.empty() ? Verdict::kPass : Verdict::kFail;
    obs.message = problems.empty()
                      ? std::to_string(files.size()) + " file(s), each within the baseline"
                      : platform::Join(problems, "; ");
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, FilePermissionsCollector);

}  // namespace shoko::collectors::access
