// access.sudo: who may run what as whom through sudo (sudoers with its
// includes and aliases), the members of the groups it empowers, and one rule
// record per baseline question: no NOPASSWD, no !authenticate, use_pty, a
// logfile, a bounded timestamp_timeout (8.2, 8.18; AC-6, IA-11).
#include <set>

#include "collectors/access/accounts.h"
#include "collectors/access/sudoers.h"
#include "collectors/collector.h"

namespace shoko::collectors::access {
namespace {

constexpr char kObservation[] = "access.sudo";
constexpr char kNopasswd[] = "access.sudo.nopasswd";
constexpr char kAuthenticate[] = "access.sudo.authenticate";
constexpr char kUsePty[] = "access.sudo.use_pty";
constexpr char kLogfile[] = "access.sudo.logfile";
constexpr char kTimeout[] = "access.sudo.timestamp_timeout";
const CollectorDeclaration kDeclaration =
    InfoObservation(kObservation, {{kNopasswd, {controls::BooleanKey("allowed")}},
                                   {kAuthenticate, {controls::BooleanKey("allow_disabled")}},
                                   {kUsePty, {controls::BooleanKey("required")}},
                                   {kLogfile, {controls::BooleanKey("required")}},
                                   {kTimeout, {controls::NumberKey("max_minutes", 0, 525600)}}});

std::string Join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

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

class SudoCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kObservation;
    auto records = [&](Verdict v, const std::string& message) {
      return SameForAll(obs, kDeclaration.RuleIds(), v, message);
    };
    auto policy = LoadSudoers(ctx.env);
    if (!policy.ok()) {
      const bool absent =
          policy.status().IsNotFound() && !ctx.env.Stat("/etc/sudoers", /*follow=*/false).ok();
      return records(
          absent ? Verdict::kNotApplicable : Verdict::kError,
          absent ? "sudo is not installed: " + ctx.env.Describe("/etc/sudoers") + " does not exist"
                 : policy.status().message());
    }
    for (const std::string& f : policy->files) {
      if (auto a = ArtifactOf(ctx.env, f); a.ok()) obs.artifacts.push_back(*a);
    }
    // Members of the groups sudo rules name, and of the usual admin groups.
    std::map<std::string, std::vector<std::string>> groups;
    std::map<int64_t, std::string> group_names;
    if (auto text = ctx.env.ReadFile("/etc/group"); text.ok()) {
      if (auto g = ParseGroup(*text, ctx.env.Describe("/etc/group"), &group_names); g.ok()) {
        groups = *g;
      }
    }
    std::vector<Account> accounts;
    if (auto text = ctx.env.ReadFile("/etc/passwd"); text.ok()) {
      if (auto a = ParsePasswd(*text, ctx.env.Describe("/etc/passwd")); a.ok()) accounts = *a;
    }
    std::set<std::string> admin_groups = {"sudo", "wheel", "admin"};
    nlohmann::json rules = nlohmann::json::array();
    std::vector<std::string> nopasswd;
    for (const SudoRule& r : policy->rules) {
      for (const std::string& u : r.users) {
        if (u.starts_with("%") && !u.starts_with("%:") && !u.starts_with("%#")) {
          admin_groups.insert(u.substr(1));
        }
      }
      const std::string where = r.file + ":" + std::to_string(r.line);
      for (const SudoCommand& c : r.commands) {
        rules.push_back({{"users", r.users},
                         {"hosts", c.hosts},
                         {"runas", Compact(c.runas.empty() ? "root" : c.runas)},
                         {"command", c.command},
                         {"tags", c.tags},
                         {"defined_in", where}});
        if (std::find(c.tags.begin(), c.tags.end(), "NOPASSWD") != c.tags.end()) {
          nopasswd.push_back(Join(r.users, ",") + " → " + c.command + " (" + where + ")");
        }
      }
    }
    nlohmann::json members = nlohmann::json::object();
    for (const std::string& g : admin_groups) {
      if (groups.contains(g)) members[g] = groups[g];
    }
    nlohmann::json aliases = nlohmann::json::object();
    for (const auto& [name, list] : policy->aliases) aliases[name] = list;
    nlohmann::json defaults = nlohmann::json::array();
    // Global settings, the last one winning as sudo applies them.
    std::map<std::string, const SudoDefault*> global;
    std::vector<std::string> no_auth;
    for (const SudoDefault& d : policy->defaults) {
      nlohmann::json j = {{"name", d.name},
                          {"negated", d.negated},
                          {"defined_in", d.file + ":" + std::to_string(d.line)}};
      if (!d.scope.empty()) j["scope"] = d.scope;
      if (!d.value.empty()) j["value"] = d.value;
      defaults.push_back(std::move(j));
      if (d.scope.empty()) global[d.name] = &d;
      if (d.name == "authenticate" && d.negated) {
        no_auth.push_back((d.scope.empty() ? std::string("everyone") : d.scope) + " (" + d.file +
                          ":" + std::to_string(d.line) + ")");
      }
    }
    // Per local account, what it may run on any host (rules for named hosts
    // only apply there, and a foreign root's name is not this host's).
    // Inverted once, so that each account's groups are a lookup.
    std::map<std::string, std::vector<std::string>> groups_of;  // member → groups
    for (const auto& [g, list] : groups) {
      for (const std::string& member : list) groups_of[member].push_back(g);
    }
    std::multimap<std::string, int64_t> gids_of;  // group name → gids
    for (const auto& [gid, name] : group_names) gids_of.emplace(name, gid);
    nlohmann::json privileges = nlohmann::json::object();
    for (const Account& a : accounts) {
      Who who{a.name, a.uid, {}, {a.gid}};
      if (auto primary = group_names.find(a.gid); primary != group_names.end())
        who.groups.insert(primary->second);
      if (auto member = groups_of.find(a.name); member != groups_of.end()) {
        for (const std::string& g : member->second) {
          who.groups.insert(g);
          auto [first, last] = gids_of.equal_range(g);
          for (auto it = first; it != last; ++it) who.gids.insert(it->second);
        }
      }
      nlohmann::json mine = nlohmann::json::array();
      for (const SudoRule& r : policy->rules) {
        if (!Matches(r.users, who, "User_Alias", policy->aliases)) continue;
        for (const SudoCommand& c : r.commands) {
          if (std::find(c.hosts.begin(), c.hosts.end(), "ALL") == c.hosts.end()) continue;
          std::vector<std::string> expanded;
          ExpandCommand(c.command, policy->aliases, &expanded);
          for (const std::string& e : expanded) {
            mine.push_back({{"runas", Compact(c.runas.empty() ? "root" : c.runas)},
                            {"command", e},
                            {"nopasswd",
                             std::find(c.tags.begin(), c.tags.end(), "NOPASSWD") != c.tags.end()}});
          }
        }
      }
      if (!mine.empty()) privileges[a.name] = std::move(mine);
    }
    obs.verdict = Verdict::kInfo;
    obs.message = std::to_string(rules.size()) + " sudo rule(s) from " +
                  std::to_string(policy->files.size()) + " file(s)";
    obs.facts = {{"files", policy->files}, {"rules", rules},           {"defaults", defaults},
                 {"aliases", aliases},     {"group_members", members}, {"privileges", privileges}};

    std::vector<Observation> out = {obs};
    // `relaxed_by`: the baseline key that, when true, lets the rule pass anyway.
    auto rule = [&](const char* id, bool pass, const std::string& message, nlohmann::json facts,
                    const char* relax_key = nullptr, bool relax_when = true) {
      const nlohmann::json& e = ctx.baseline.ExpectedFor(id);
      const bool relaxed = relax_key != nullptr && e.is_object() && e.contains(relax_key) &&
                           e[relax_key].is_boolean() && e[relax_key].get<bool>() == relax_when;
      Observation r =
          RuleRecord(id, kObservation, pass || relaxed ? Verdict::kPass : Verdict::kFail,
                     pass || !relaxed ? message : message + " (the baseline allows it)");
      r.facts = std::move(facts);
      r.expected = ctx.baseline.ExpectedFor(id);
      r.artifacts = obs.artifacts;
      out.push_back(std::move(r));
    };
    rule(kNopasswd, nopasswd.empty(),
         nopasswd.empty() ? "every sudo rule asks for a password"
                          : "NOPASSWD: " + Join(nopasswd, "; "),
         {{"rules", nopasswd}}, "allowed");
    rule(kAuthenticate, no_auth.empty(),
         no_auth.empty() ? "authentication is never turned off"
                         : "Defaults !authenticate for " + Join(no_auth, "; "),
         {{"scopes", no_auth}}, "allow_disabled");
    auto flag = [&](const char* name) {
      auto it = global.find(name);
      return it != global.end() && !it->second->negated;
    };
    rule(kUsePty, flag("use_pty"),
         flag("use_pty") ? "Defaults use_pty"
                         : "use_pty is not set: commands can outlive the session's terminal",
         {{"use_pty", flag("use_pty")}}, "required", false);
    const bool logfile = global.contains("logfile") && !global["logfile"]->negated &&
                         !global["logfile"]->value.empty();
    rule(
        kLogfile, logfile,
        logfile ? "Defaults logfile=" + global["logfile"]->value
                : "no sudo logfile: sudo logs to syslog only",
        {{"logfile", logfile ? nlohmann::json(global["logfile"]->value) : nlohmann::json(nullptr)}},
        "required", false);
    // timestamp_timeout: minutes, 15 when unset; negative never expires.
    const nlohmann::json& expected = ctx.baseline.ExpectedFor(kTimeout);
    const double max = expected.is_object() && expected.contains("max_minutes") &&
                               expected["max_minutes"].is_number()
                           ? expected["max_minutes"].get<double>()
                           : 15;
    double minutes = 15;
    std::string timeout_text = "15 (sudo's default)";
    if (global.contains("timestamp_timeout")) {
      const SudoDefault* d = global["timestamp_timeout"];
      timeout_text = d->negated ? "0" : d->value;
      try {
        minutes = d->negated ? 0 : std::stod(d->value);
      } catch (const std::exception&) {
        minutes = -1;
        timeout_text = d->value + " (not a number)";
      }
    }
    const bool timeout_ok = minutes >= 0 && minutes <= max;
    rule(kTimeout, timeout_ok,
         "timestamp_timeout is " + timeout_text +
             (timeout_ok ? ""
              : minutes < 0
                  ? ": credentials never expire"
                  : ": the baseline allows at most " + std::to_string(static_cast<int>(max))),
         {{"timestamp_timeout", timeout_text}});
    return out;
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, SudoCollector);

}  // namespace shoko::collectors::access
