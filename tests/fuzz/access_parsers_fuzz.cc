// The access family's parsers: passwd, shadow, group, login.defs, lastlog,
// authorized_keys, sudoers and PAM, each fed every input. Errors must name
// the file; results must hold only what the input spelled, and never a hash.
#include <string>

#include "collectors/access/accounts.h"
#include "collectors/access/authorized_keys.h"
#include "collectors/access/pam.h"
#include "collectors/access/sudoers.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

void MustName(const shoko::Status& s) {
  if (!s.ok() && s.message().rfind("f:", 0) != 0) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoko::collectors::access;
  const std::string_view text = FuzzText(data, size);
  auto accounts = ParsePasswd(text, "f");
  if (accounts.ok()) {
    shoko::Status s = MergeShadow(text, "f", &*accounts);
    MustName(s);
    // A shadow error message never quotes the line (it would carry a hash).
    if (!s.ok() && s.message().size() > 80) __builtin_trap();
    for (const Account& a : *accounts) {
      if (a.name.empty() || a.uid < 0) __builtin_trap();
      if (a.password != "none" && a.password != "locked" && a.password != "set") __builtin_trap();
    }
  } else {
    MustName(accounts.status());
  }
  std::map<int64_t, std::string> names;
  if (auto g = ParseGroup(text, "f", &names); !g.ok()) MustName(g.status());
  (void)ParseLoginDefs(text);
  (void)LastlogTime(text, static_cast<int64_t>(size % 1024));
  for (const auto& [user, when] : WtmpLastLogins(text)) {
    if (user.empty() || user.size() > 32 || when <= 0) __builtin_trap();
  }
  (void)HashScheme(text.substr(0, 64));
  for (const AuthorizedKey& k : ParseAuthorizedKeys(text)) {
    if (k.line < 1) __builtin_trap();
    if (k.error.empty() && (k.fingerprint.rfind("SHA256:", 0) != 0 || k.bits <= 0)) {
      __builtin_trap();
    }
  }
  if (auto s = ParseSudoersText(text, "f"); s.ok()) {
    for (const SudoRule& r : s->rules) {
      if (r.users.empty() || r.commands.empty()) __builtin_trap();
      for (const SudoCommand& c : r.commands) {
        if (c.command.empty()) __builtin_trap();
      }
    }
  } else {
    MustName(s.status());
  }
  if (auto p = ParsePamText(text, "f"); !p.ok()) MustName(p.status());
  (void)ParseKeyValueConf(text);
  (void)ExpandAuthorizedKeysFiles(text.substr(0, 256), "u", "/home/u", 1000);
  return 0;
}
