// access.ssh_keys: every authorized_keys file of every account, as the
// effective sshd configuration names them (AuthorizedKeysFile, per user):
// key type, size, SHA256 fingerprint and options, never the key or its
// comment. Fails on DSA keys, RSA keys below the baseline's size, and keys
// of accounts whose shell refuses logins (5.17, 8.5, IA-5; 8.24).
#include <set>

#include "collectors/access/accounts.h"
#include "collectors/access/authorized_keys.h"
#include "collectors/access/sshd_config.h"
#include "collectors/collector.h"

namespace shoko::collectors::access {
namespace {

constexpr char kCheck[] = "access.ssh_keys";
constexpr size_t kMaxKeysFileBytes = 1u << 20;

const CollectorDeclaration kDeclaration =
    JudgedObservation(kCheck, {controls::IntegerKey("min_rsa_bits", 1024, 16384)});

class SshKeysCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    auto config = LoadSshdConfig(ctx.env, kSshdConfigPath);
    if (!config.ok()) {
      const bool absent =
          config.status().IsNotFound() && !ctx.env.Stat(kSshdConfigPath, /*follow=*/false).ok();
      obs.verdict = absent ? Verdict::kNotApplicable : Verdict::kError;
      obs.message =
          absent ? "sshd is not installed: " + ctx.env.Describe(kSshdConfigPath) + " does not exist"
                 : config.status().message();
      return {obs};
    }
    auto passwd = ctx.env.ReadFile("/etc/passwd");
    if (!passwd.ok()) {
      obs.verdict = Verdict::kError;
      obs.message = passwd.status().message();
      return {obs};
    }
    auto accounts = ParsePasswd(*passwd, ctx.env.Describe("/etc/passwd"));
    if (!accounts.ok()) {
      obs.verdict = Verdict::kError;
      obs.message = accounts.status().message();
      return {obs};
    }
    const nlohmann::json& expected = ctx.baseline.ExpectedFor(kCheck);
    const int min_rsa_bits = expected.is_object() && expected.contains("min_rsa_bits") &&
                                     expected["min_rsa_bits"].is_number_integer()
                                 ? expected["min_rsa_bits"].get<int>()
                                 : 2048;
    const std::string setting = config->effective.value("authorizedkeysfile", "");
    nlohmann::json keys = nlohmann::json::array();
    nlohmann::json unusable = nlohmann::json::array();
    std::vector<std::string> problems;
    std::set<std::string> seen;  // a file shared by accounts (%h of one home) is read once each
    for (const Account& a : *accounts) {
      for (const std::string& file : ExpandAuthorizedKeysFiles(setting, a.name, a.home, a.uid)) {
        if (!seen.insert(a.name + "\n" + file).second) continue;
        auto text = ctx.env.ReadFile(file, kMaxKeysFileBytes);
        if (!text.ok()) {
          if (!text.status().IsNotFound()) {
            unusable.push_back(
                {{"account", a.name}, {"file", file}, {"error", text.status().message()}});
          }
          continue;
        }
        // The file's digest would identify the keys and comments: not kept.
        for (const AuthorizedKey& k : ParseAuthorizedKeys(*text)) {
          const std::string where = file + ":" + std::to_string(k.line);
          if (!k.error.empty()) {
            unusable.push_back({{"account", a.name}, {"file", where}, {"error", k.error}});
            continue;
          }
          nlohmann::json j = {{"account", a.name},   {"file", file},
                              {"line", k.line},      {"type", k.label},
                              {"bits", k.bits},      {"fingerprint", k.fingerprint},
                              {"options", k.options}};
          if (!k.from.empty()) j["from"] = k.from;
          keys.push_back(std::move(j));
          if (k.label == "DSA") problems.push_back(where + ": DSA key (" + a.name + ")");
          if (k.label == "RSA" && k.bits < min_rsa_bits) {
            problems.push_back(where + ": RSA key of " + std::to_string(k.bits) + " bits (" +
                               a.name + ")");
          }
          if (CannotLogIn(a.shell)) {
            problems.push_back(where + ": key for " + a.name + ", whose shell " + a.shell +
                               " refuses logins");
          }
        }
      }
    }
    obs.facts = {{"authorized_keys_file", setting},
                 {"keys", keys},
                 {"unusable_lines", unusable},
                 {"min_rsa_bits", min_rsa_bits}};
    obs.expected = expected;
    if (problems.empty()) {
      obs.verdict = Verdict::kPass;
      obs.message = std::to_string(keys.size()) + " authorized key(s), none weak or misplaced";
    } else {
      obs.verdict = Verdict::kFail;
      for (const std::string& p : problems) obs.message += (obs.message.empty() ? "" : "; ") + p;
    }
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, SshKeysCollector);

}  // namespace shoko::collectors::access
