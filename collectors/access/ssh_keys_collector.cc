// access.ssh_keys: every authorized_keys file of every account, as the
// effective sshd configuration names them (AuthorizedKeysFile, per user):
// key type, size, SHA256 fingerprint and options, never the key or its
// comment. Fails on DSA keys, RSA keys below the baseline's size, and keys
// of accounts whose shell refuses logins (5.17, 8.5, IA-5; 8.24).
#include <set>

#include "collectors/access/accounts.h"
#include "collectors/access/authorized_keys.h"
#include "collectors/access/host_files.h"
#include "collectors/collector.h"
#include "collectors/expected.h"
#include "collectors/rules.h"
#include "platform/strings.h"

namespace shoko::collectors::access {
namespace {

constexpr char kCheck[] = "access.ssh_keys";
constexpr size_t kMaxKeysFileBytes = 1u << 20;
const controls::BaselineKey kMinRsaBits = controls::IntegerKey("min_rsa_bits", 1024, 16384);
const CollectorDeclaration kDeclaration = JudgedObservation(kCheck, {kMinRsaBits});

// Every key found, the lines that are no usable key, and what is wrong.
struct KeyFindings {
  nlohmann::json keys = nlohmann::json::array();
  nlohmann::json unusable = nlohmann::json::array();
  std::vector<std::string> problems;
};

// One authorized_keys file of account `a`: its keys judged into `found`.
// The file's digest would identify the keys and comments: not kept.
void ReadKeysFile(const platform::Env& env, const Account& a, const std::string& file,
                  int64_t min_rsa_bits, KeyFindings* found) {
  auto text = env.ReadFile(file, kMaxKeysFileBytes);
  if (!text.ok()) {
    if (!text.status().IsNotFound()) {
      found->unusable.push_back(
          {{"account", a.name}, {"file", file}, {"error", text.status().message()}});
    }
    return;
  }
  for (const AuthorizedKey& k : ParseAuthorizedKeys(*text)) {
    const std::string where = file + ":" + std::to_string(k.line);
    if (!k.error.empty()) {
      found->unusable.push_back({{"account", a.name}, {"file", where}, {"error", k.error}});
      continue;
    }
    nlohmann::json j = {{"account", a.name},   {"file", file},   {"line", k.line},
                        {"type", k.label},     {"bits", k.bits}, {"fingerprint", k.fingerprint},
                        {"options", k.options}};
    if (!k.from.empty()) j["from"] = k.from;
    found->keys.push_back(std::move(j));
    if (k.label == "DSA") found->problems.push_back(where + ": DSA key (" + a.name + ")");
    if (k.label == "RSA" && k.bits < min_rsa_bits) {
      found->problems.push_back(where + ": RSA key of " + std::to_string(k.bits) + " bits (" +
                                a.name + ")");
    }
    if (CannotLogIn(a.shell)) {
      found->problems.push_back(where + ": key for " + a.name + ", whose shell " + a.shell +
                                " refuses logins");
    }
  }
}

class SshKeysCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    const Result<SshdConfig>& config = SshdConfigOf(ctx);
    if (!config.ok())
      return Unobserved(ctx, kDeclaration, config.status(), kSshdConfigPath, "sshd");
    const Result<std::vector<Account>>& accounts = PasswdOf(ctx);
    if (!accounts.ok()) return {ErrorRecord(kCheck, accounts.status())};
    const Expected expected(ctx.baseline, kCheck);
    auto min_rsa_bits = expected.Integer(kMinRsaBits);
    if (!min_rsa_bits.ok()) return {ErrorRecord(kCheck, min_rsa_bits.status())};
    const std::string setting = config->effective.value("authorizedkeysfile", "");
    KeyFindings found;
    std::set<std::string> seen;  // a file shared by accounts (%h of one home) is read once each
    for (const Account& a : *accounts) {
      for (const std::string& file : ExpandAuthorizedKeysFiles(setting, a.name, a.home, a.uid)) {
        if (seen.insert(a.name + "\n" + file).second) {
          ReadKeysFile(ctx.env, a, file, *min_rsa_bits, &found);
        }
      }
    }
    obs.facts = {{"authorized_keys_file", setting},
                 {"keys", found.keys},
                 {"unusable_lines", found.unusable},
                 {"min_rsa_bits", *min_rsa_bits}};
    obs.expected = expected.json();
    obs.verdict = found.problems.empty() ? Verdict::kPass : Verdict::kFail;
    obs.message = found.problems.empty() ? std::to_string(found.keys.size()) +
                                               " authorized key(s), none weak or misplaced"
                                         : platform::Join(found.problems, "; ");
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, SshKeysCollector);

}  // namespace shoko::collectors::access
