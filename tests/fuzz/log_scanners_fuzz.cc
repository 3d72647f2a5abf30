// The logs family's small scanners (rsyslog, syslog-ng, chrony/ntpd,
// auditd.conf, audit rules, journald time spans), each fed every input: a
// result either names the file and a line in its error or holds only what
// the input spelled.
#include <string>

#include "collectors/logs/journald.h"
#include "collectors/logs/log_scanners.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

void MustName(const shoko::Status& s) {
  if (!s.ok() && s.message().rfind("f.conf:", 0) != 0) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoko::collectors::logs;
  const std::string_view text = FuzzText(data, size);
  const std::string where = "f.conf";
  if (auto r = ScanRsyslog(text, where); r.ok()) {
    for (const auto& d : r->destinations) {
      if (d.line < 1 || d.via != "rsyslog") __builtin_trap();
    }
  } else {
    MustName(r.status());
  }
  if (auto r = ScanSyslogNg(text, where); r.ok()) {
    for (const auto& d : *r) {
      if (d.line < 1 || !d.tls.has_value()) __builtin_trap();
    }
  } else {
    MustName(r.status());
  }
  if (auto r = ScanNtpConfig(text, where); r.ok()) {
    for (const auto& s : r->servers) {
      if (s.empty() || text.find(s) == std::string_view::npos) __builtin_trap();
    }
  } else {
    MustName(r.status());
  }
  if (auto r = ParseAuditdConf(text, where); r.ok()) {
    for (const auto& [k, v] : *r) {
      if (k.empty()) __builtin_trap();
    }
  } else {
    MustName(r.status());
  }
  AuditRules rules;
  MustName(ScanAuditRules(text, where, &rules));
  if (size < 256) {
    if (auto secs = ParseTimespanSeconds(std::string(text)); secs && *secs < 0) __builtin_trap();
  }
  return 0;
}
