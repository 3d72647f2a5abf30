// access.file_permissions: mode and owner of the files that hold identities,
// privileges and keys — passwd, shadow, group, gshadow, sudoers and what it
// includes, sshd_config and what it includes, SSH host private keys, cron —
// against the baseline (8.3, 8.2; AC-3, AC-6(1)). Names come from the root's
// own passwd and group, so a mounted image is judged by its own accounts.
#include <fnmatch.h>

#include <set>

#include "collectors/access/accounts.h"
#include "collectors/access/sshd_config.h"
#include "collectors/access/sudoers.h"
#include "collectors/collector.h"

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

const CollectorDeclaration kDeclaration = JudgedObservation(
    kCheck,
    {controls::ObjectListKey("files", {controls::StringKey("path"), controls::ModeKey("max_mode"),
                                       controls::NameOrListKey("owner").Optional(),
                                       controls::NameOrListKey("group").Optional()})});

class FilePermissionsCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    const nlohmann::json& expected = ctx.baseline.ExpectedFor(kCheck);
    obs.expected = expected;
    std::vector<Expectation> rules;
    if (expected.is_object() && expected.contains("files") && expected["files"].is_array()) {
      for (const auto& f : expected["files"]) {
        if (!f.is_object() || !f.contains("path") || !f["path"].is_string()) continue;
        Expectation e;
        e.pattern = f["path"].get<std::string>();
        try {
          e.max_mode = static_cast<uint32_t>(std::stoul(f.value("max_mode", "0777"), nullptr, 8));
        } catch (const std::exception&) {
          obs.verdict = Verdict::kError;
          obs.message = "baseline " + std::string(kCheck) + ": max_mode of " + e.pattern +
                        " is not an octal mode";
          return {obs};
        }
        e.owners = Strings(f.value("owner", nlohmann::json()));
        e.groups = Strings(f.value("group", nlohmann::json()));
        rules.push_back(std::move(e));
      }
    }
    if (rules.empty()) {
      obs.verdict = Verdict::kError;
      obs.message = "baseline has no 'files' for " + std::string(kCheck);
      return {obs};
    }
    // uid/gid → name, by the root's own files.
    const AccountNames names = ReadAccountNames(ctx.env);
    // The sets: sudoers with includes, sshd_config with includes, host keys.
    std::map<std::string, std::vector<std::string>> sets;
    if (auto sudo = LoadSudoers(ctx.env); sudo.ok()) sets["@sudoers"] = sudo->files;
    if (auto sshd = LoadSshdConfig(ctx.env); sshd.ok()) {
      sets["@sshd_config"] = sshd->files;
      std::vector<std::string> keys;
      if (sshd->effective.contains("hostkey")) keys = Strings(sshd->effective["hostkey"]);
      if (keys.empty()) {
        keys = {"/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ecdsa_key",
                "/etc/ssh/ssh_host_ed25519_key"};
      }
      sets["@host_keys"] = keys;
    }
    nlohmann::json files = nlohmann::json::array();
    std::vector<std::string> problems;
    std::set<std::string> seen;
    for (const Expectation& e : rules) {
      std::vector<std::string> paths;
      if (e.pattern.starts_with("@")) {
        paths = sets[e.pattern];
      } else if (e.pattern.find_first_of("*?[") != std::string::npos) {
        if (auto m = platform::Glob(ctx.env, e.pattern); m.ok()) paths = *m;
      } else {
        paths = {e.pattern};
      }
      for (const std::string& path : paths) {
        if (!seen.insert(path).second) continue;  // the first rule naming a file judges it
        auto info = ctx.env.Stat(path, /*follow=*/false);
        if (!info.ok()) continue;  // absent: nothing to protect
        const std::string owner = names.User(info->uid);
        const std::string group = names.Group(info->gid);
        std::vector<std::string> wrong;
        if (info->type == platform::FileInfo::Type::kSymlink) {
          wrong.push_back("is a symbolic link");
        }
        if ((info->mode & 07777 & ~e.max_mode) != 0) {
          wrong.push_back("mode " + Octal(info->mode) + " exceeds " + Octal(e.max_mode));
        }
        if (!e.owners.empty() &&
            std::find(e.owners.begin(), e.owners.end(), owner) == e.owners.end()) {
          wrong.push_back("owned by " + owner);
        }
        if (!e.groups.empty() &&
            std::find(e.groups.begin(), e.groups.end(), group) == e.groups.end()) {
          wrong.push_back("group " + group);
        }
        nlohmann::json j = {{"path", path},
                            {"mode", Octal(info->mode)},
                            {"owner", owner},
                            {"group", group},
                            {"max_mode", Octal(e.max_mode)}};
        if (!wrong.empty()) {
          std::string w;
          for (const std::string& x : wrong) w += (w.empty() ? "" : ", ") + x;
          j["problem"] = w;
          problems.push_back(path + ": " + w);
        }
        files.push_back(std::move(j));
      }
    }
    obs.facts = {{"files", files}};
    if (problems.empty()) {
      obs.verdict = Verdict::kPass;
      obs.message = std::to_string(files.size()) + " file(s), each within the baseline";
    } else {
      obs.verdict = Verdict::kFail;
      for (const std::string& p : problems) obs.message += (obs.message.empty() ? "" : "; ") + p;
    }
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, FilePermissionsCollector);

}  // namespace shoko::collectors::access
