#include "collectors/access/host_files.h"

namespace shoko::collectors::access {

const Result<std::vector<Account>>& PasswdOf(const CollectContext& ctx) {
  return ctx.cache->Get<Result<std::vector<Account>>>("access passwd", [&] {
    const Result<std::string>& text = ReadOnce(ctx, "/etc/passwd");
    if (!text.ok()) return Result<std::vector<Account>>(text.status());
    return ParsePasswd(*text, ctx.env.Describe("/etc/passwd"));
  });
}

const Result<Groups>& GroupsOf(const CollectContext& ctx) {
  return ctx.cache->Get<Result<Groups>>("access group", [&]() -> Result<Groups> {
    const Result<std::string>& text = ReadOnce(ctx, "/etc/group");
    if (!text.ok()) return text.status();
    Groups groups;
    auto members = ParseGroup(*text, ctx.env.Describe("/etc/group"), &groups.names);
    if (!members.ok()) return members.status();
    groups.members = std::move(members).value();
    return groups;
  });
}

const std::map<std::string, std::string>& LoginDefsOf(const CollectContext& ctx) {
  return ctx.cache->Get<std::map<std::string, std::string>>("access login.defs", [&] {
    const Result<std::string>& text = ReadOnce(ctx, "/etc/login.defs");
    return text.ok() ? ParseLoginDefs(*text) : std::map<std::string, std::string>();
  });
}

const AccountNames& AccountNamesOf(const CollectContext& ctx) {
  return ctx.cache->Get<AccountNames>("access names", [&] {
    AccountNames names;
    if (const auto& accounts = PasswdOf(ctx); accounts.ok()) {
      for (const Account& a : *accounts) names.users.emplace(a.uid, a.name);
    }
    if (const auto& groups = GroupsOf(ctx); groups.ok()) names.groups = groups->names;
    return names;
  });
}

const Result<SshdConfig>& SshdConfigOf(const CollectContext& ctx, const std::string& path) {
  return ctx.cache->Get<Result<SshdConfig>>("access sshd_config " + path,
                                            [&] { return LoadSshdConfig(ctx.env, path); });
}

const Result<SudoersPolicy>& SudoersOf(const CollectContext& ctx) {
  return ctx.cache->Get<Result<SudoersPolicy>>("access sudoers",
                                               [&] { return LoadSudoers(ctx.env); });
}

}  // namespace shoko::collectors::access
