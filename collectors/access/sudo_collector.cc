// access.sudo: who may run what as whom through sudo (sudoers with its
// includes and aliases), the members of the groups it empowers, and one rule
// record per baseline question: no NOPASSWD, no !authenticate, use_pty, a
// logfile, a bounded timestamp_timeout (8.2, 8.18; AC-6, IA-11).
#include <set>

#include "collectors/access/accounts.h"
#include "collectors/access/host_files.h"
#include "collectors/access/sudoers.h"
#include "collectors/collector.h"
#include "collectors/rules.h"
#include "platform/strings.h"

namespace shoko::collectors::access {
namespace {

constexpr char kObservation[] = "access.sudo";
// "www-data : www-data" → "www-data:www-data", one spelling for Runas lists.
std::string Compact(std::string s) {
  std::erase_if(s, [](char c) { return c == ' ' || c == '\t'; });
  return s;
}

// Whether `list` (users or hosts as written) matches: names, %group,
// %#gid, #uid, ALL and aliases of `alias_kind`, the last match deciding
// (a leading '!' makes it a refusal), as sudo reads a list.
struct Who {
  std::string name;
  int64_t uid = -1;
  std::set<std::string> groups;
  std::set<int64_t> gids;
};

bool Matches(const std::vector<std::string>& list, const Who& who, const std::string& alias_kind,
             const std::map<std::string, std::vector<std::string>>& aliases, int depth = 0) {
  bool result = false;
  for (std::string item : list) {
    bool negated = false;
    while (!item.empty() && item[0] == '!') {
      negated = !negated;
      item.erase(0, 1);
    }
    bool hit = false;
    if (item == "ALL" || item == who.name) {
      hit = true;
    } else if (item.starts_with("%#")) {
      try {
        hit = who.gids.contains(std::stoll(item.substr(2)));
      } catch (const std::exception&) {
      }
    } else if (item.starts_with("%") && !item.starts_with("%:")) {
      hit = who.groups.contains(item.substr(1));
    } else if (item.starts_with("#")) {
      hit = item.substr(1) == std::to_string(who.uid);
    } else if (auto it = aliases.find(alias_kind + " " + item); it != aliases.end() && depth < 16) {
      hit = Matches(it->second, who, alias_kind, aliases, depth + 1);
    }
    if (hit) result = !negated;
  }
  return result;
}

// A command list entry with its Cmnd_Alias members in place.
void ExpandCommand(const std::string& command,
                   const std::map<std::string, std::vector<std::string>>& aliases,
                   std::vector<std::string>* out, int depth = 0) {
  auto it = aliases.find("Cmnd_Alias " + command);
  if (it == aliases.end() || depth >= 16) {
    out->push_back(command);
    return;
  }
  for (const std::string& c : it->second) ExpandCommand(c, aliases, out, depth + 1);
}

// What each local account may run on any host (rules for named hosts only
// apply there, and a foreign root's name is not this host's). Groups are
// inverted once, so that each account's groups are a lookup.
nlohmann::json Privileges(const SudoersPolicy& policy, const Groups& groups,
                          const std::vector<Account>& accounts) {
  std::map<std::string, std::vector<std::string>> groups_of;  // member → groups
  for (const auto& [g, list] : groups.members) {
    for (const std::string& member : list) groups_of[member].push_back(g);
  }
  std::multimap<std::string, int64_t> gids_of;  // group name → gids
  for (const auto& [gid, name] : groups.names) gids_of.emplace(name, gid);
  nlohmann::json privileges = nlohmann::json::object();
  for (const Account& a : accounts) {
    Who who{a.name, a.uid, {}, {a.gid}};
    if (auto primary = groups.names.find(a.gid); primary != groups.names.end())
      who.groups.insert(primary->second);
    if (auto member = groups_of.find(a.name); member != groups_of.end()) {
      for (const std::string& g : member->second) {
        who.groups.insert(g);
        auto [first, last] = gids_of.equal_range(g);
        for (auto it = first; it != last; ++it) who.gids.insert(it->second);
      }
    }
    nlohmann::json mine = nlohmann::json::array();
    for (const SudoRule& r : policy.rules) {
      if (!Matches(r.users, who, "User_Alias", policy.aliases)) continue;
      for (const SudoCommand& c : r.commands) {
        if (std::find(c.hosts.begin(), c.hosts.end(), "ALL") == c.hosts.end()) continue;
        std::vector<std::string> expanded;
        ExpandCommand(c.command, policy.aliases, &expanded);
        for (const std::string& e : expanded) {
          mine.push_back(
              {{"runas", Compact(c.runas.empty() ? "root" : c.runas)},
               {"command", e},
               {"nopasswd", std::find(c.tags.begin(), c.tags.end(), "NOPASSWD") != c.tags.end()}});
        }
      }
    }
    if (!mine.empty()) privileges[a.name] = std::move(mine);
  }
  return privileges;
}

// The user specifications as facts, and the groups they empower.
nlohmann::json RulesJson(const SudoersPolicy& policy, std::set<std::string>* admin_groups) {
  nlohmann::json rules = nlohmann::json::array();
  for (const SudoRule& r : policy.rules) {
    for (const std::string& u : r.users) {
      if (u.starts_with("%") && !u.starts_with("%:") && !u.starts_with("%#")) {
        admin_groups->insert(u.substr(1));
      }
    }
    for (const SudoCommand& c : r.commands) {
      rules.push_back({{"users", r.users},
                       {"hosts", c.hosts},
                       {"runas", Compact(c.runas.empty() ? "root" : c.runas)},
                       {"command", c.command},
                       {"tags", c.tags},
                       {"defined_in", r.file + ":" + std::to_string(r.line)}});
    }
  }
  return rules;
}

nlohmann::json DefaultsJson(const SudoersPolicy& policy) {
  nlohmann::json defaults = nlohmann::json::array();
  for (const SudoDefault& d : policy.defaults) {
    nlohmann::json j = {{"name", d.name},
                        {"negated", d.negated},
                        {"defined_in", d.file + ":" + std::to_string(d.line)}};
    if (!d.scope.empty()) j["scope"] = d.scope;
    if (!d.value.empty()) j["value"] = d.value;
    defaults.push_back(std::move(j));
  }
  return defaults;
}

// The observation: every rule, default and alias, the members of the groups
// sudo empowers (those rules name, and the usual admin groups), and what each
// account may run.
Observation Observe(const CollectContext& ctx, const SudoersPolicy& policy) {
  Observation obs;
  obs.check_id = kObservation;
  for (const std::string& f : policy.files) {
    if (auto a = ArtifactOf(ctx.env, f); a.ok()) obs.artifacts.push_back(*a);
  }
  const Result<Groups>& read_groups = GroupsOf(ctx);
  const Groups groups = read_groups.ok() ? *read_groups : Groups();
  const Result<std::vector<Account>>& accounts = PasswdOf(ctx);
  std::set<std::string> admin_groups = {"sudo", "wheel", "admin"};
  nlohmann::json rules = RulesJson(policy, &admin_groups);
  nlohmann::json members = nlohmann::json::object();
  for (const std::string& g : admin_groups) {
    if (auto it = groups.members.find(g); it != groups.members.end()) members[g] = it->second;
  }
  nlohmann::json aliases = nlohmann::json::object();
  for (const auto& [name, list] : policy.aliases) aliases[name] = list;
  obs.verdict = Verdict::kInfo;
  obs.message = std::to_string(rules.size()) + " sudo rule(s) from " +
                std::to_string(policy.files.size()) + " file(s)";
  obs.facts = {{"files", policy.files},
               {"rules", rules},
               {"defaults", DefaultsJson(policy)},
               {"aliases", aliases},
               {"group_members", members},
               {"privileges",
                Privileges(policy, groups, accounts.ok() ? *accounts : std::vector<Account>())}};
  return obs;
}

// What the rules judge: the policy and its global Defaults, the last of each
// winning as sudo applies them.
struct SudoFacts {
  const SudoersPolicy& policy;
  std::map<std::string, const SudoDefault*> global;

  explicit SudoFacts(const SudoersPolicy& p) : policy(p) {
    for (const SudoDefault& d : p.defaults) {
      if (d.scope.empty()) global[d.name] = &d;
    }
  }
  // A global flag that is set and not negated.
  bool Flag(const char* name) const {
    auto it = global.find(name);
    return it != global.end() && !it->second->negated;
  }
};

// `pass`, or a failure the baseline lets pass when `relaxed`.
Judgement Relaxable(bool pass, bool relaxed, const std::string& message, nlohmann::json facts) {
  Judgement j{pass || relaxed ? Verdict::kPass : Verdict::kFail,
              pass || !relaxed ? message : message + " (the baseline allows it)"};
  j.facts = std::move(facts);
  return j;
}

const controls::BaselineKey kAllowed = controls::BooleanKey("allowed");
const controls::BaselineKey kAllowDisabled = controls::BooleanKey("allow_disabled");
const controls::BaselineKey kRequired = controls::BooleanKey("required");
const controls::BaselineKey kMaxMinutes = controls::NumberKey("max_minutes", 0, 525600);

Result<Judgement> Nopasswd(const SudoFacts& f, const Expected& e) {
  SHOKO_ASSIGN_OR_RETURN(const bool allowed, e.Boolean(kAllowed));
  std::vector<std::string> nopasswd;
  for (const SudoRule& r : f.policy.rules) {
    for (const SudoCommand& c : r.commands) {
      if (std::find(c.tags.begin(), c.tags.end(), "NOPASSWD") != c.tags.end()) {
        nopasswd.push_back(platform::Join(r.users, ",") + " → " + c.command + " (" + r.file + ":" +
                           std::to_string(r.line) + ")");
      }
    }
  }
  return Relaxable(nopasswd.empty(), allowed,
                   nopasswd.empty() ? "every sudo rule asks for a password"
                                    : "NOPASSWD: " + platform::Join(nopasswd, "; "),
                   {{"rules", nopasswd}});
}

Result<Judgement> Authenticate(const SudoFacts& f, const Expected& e) {
  SHOKO_ASSIGN_OR_RETURN(const bool allow_disabled, e.Boolean(kAllowDisabled));
  std::vector<std::string> no_auth;
  for (const SudoDefault& d : f.policy.defaults) {
    if (d.name == "authenticate" && d.negated) {
      no_auth.push_back((d.scope.empty() ? std::string("everyone") : d.scope) + " (" + d.file +
                        ":" + std::to_string(d.line) + ")");
    }
  }
  return Relaxable(no_auth.empty(), allow_disabled,
                   no_auth.empty() ? "authentication is never turned off"
                                   : "Defaults !authenticate for " + platform::Join(no_auth, "; "),
                   {{"scopes", no_auth}});
}

// A global setting the baseline may require: set, it passes; unset, it fails
// unless the baseline does not require it.
Result<Judgement> RequiredSetting(const Expected& e, bool set, const std::string& message,
                                  nlohmann::json facts) {
  SHOKO_ASSIGN_OR_RETURN(const bool required, e.Boolean(kRequired));
  return Relaxable(set, !required, message, std::move(facts));
}

Result<Judgement> UsePty(const SudoFacts& f, const Expected& e) {
  const bool use_pty = f.Flag("use_pty");
  return RequiredSetting(e, use_pty,
                         use_pty
                             ? "Defaults use_pty"
                             : "use_pty is not set: commands can outlive the session's terminal",
                         {{"use_pty", use_pty}});
}

Result<Judgement> Logfile(const SudoFacts& f, const Expected& e) {
  auto it = f.global.find("logfile");
  if (it == f.global.end() || it->second->negated || it->second->value.empty()) {
    return RequiredSetting(e, false, "no sudo logfile: sudo logs to syslog only",
                           {{"logfile", nullptr}});
  }
  return RequiredSetting(e, true, "Defaults logfile=" + it->second->value,
                         {{"logfile", it->second->value}});
}

// timestamp_timeout: minutes, 15 when unset (sudo's default); negative never expires.
Result<Judgement> TimestampTimeout(const SudoFacts& f, const Expected& e) {
  SHOKO_ASSIGN_OR_RETURN(const double max, e.Number(kMaxMinutes));
  double minutes = 15;
  std::string text = "15 (sudo's default)";
  if (auto it = f.global.find("timestamp_timeout"); it != f.global.end()) {
    const SudoDefault* d = it->second;
    text = d->negated ? "0" : d->value;
    try {
      minutes = d->negated ? 0 : std::stod(d->value);
    } catch (const std::exception&) {
      minutes = -1;
      text = d->value + " (not a number)";
    }
  }
  const bool ok = minutes >= 0 && minutes <= max;
  return Relaxable(ok, false,
                   "timestamp_timeout is " + text +
                       (ok            ? ""
                        : minutes < 0 ? ": credentials never expire"
                                      : ": the baseline allows at most " +
                                            std::to_string(static_cast<int>(max))),
                   {{"timestamp_timeout", text}});
}

const std::vector<Rule<SudoFacts>> kRules = {
    {{"access.sudo.nopasswd", {kAllowed}}, Nopasswd},
    {{"access.sudo.authenticate", {kAllowDisabled}}, Authenticate},
    {{"access.sudo.use_pty", {kRequired}}, UsePty},
    {{"access.sudo.logfile", {kRequired}}, Logfile},
    {{"access.sudo.timestamp_timeout", {kMaxMinutes}}, TimestampTimeout},
};
const CollectorDeclaration kDeclaration = InfoObservation(kObservation, DeclarationsOf(kRules));

class SudoCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    const Result<SudoersPolicy>& policy = SudoersOf(ctx);
    if (!policy.ok()) return Unobserved(ctx, kDeclaration, policy.status(), "/etc/sudoers", "sudo");
    return JudgeAll(kRules, SudoFacts(*policy), Observe(ctx, *policy), ctx.baseline);
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, SudoCollector);

}  // namespace shoko::collectors::access
