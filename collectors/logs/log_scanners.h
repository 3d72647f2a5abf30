// Pure scanners for the small configuration languages of the logs family
// (rsyslog, syslog-ng, chrony/ntpd, auditd), apart from file access so that
// they can be fuzzed and tested on strings. Each is scanned by hand in linear
// time: no std::regex, whose recursion a hostile file could drive through the
// stack. `where` names the file in errors ("WHERE:LINE: ...").
#ifndef SHOKO_COLLECTORS_LOGS_LOG_SCANNERS_H_
#define SHOKO_COLLECTORS_LOGS_LOG_SCANNERS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace shoko::collectors::logs {

// A place logs are sent to.
struct LogDestination {
  std::string via;       // rsyslog, syslog-ng, systemd-journal-upload
  std::string target;    // host, address or URL
  std::string port;      // as written; empty when implied
  std::string protocol;  // udp, tcp, relp, network, syslog...
  // Whether the connection is TLS; unset where it depends on a default that
  // another file may set (rsyslog's $DefaultNetstreamDriver).
  std::optional<bool> tls;
  std::string file;  // where it is defined: set by the caller, which knows the path
  int line = 0;
};

// One rsyslog file: legacy forwarding ("*.* @host:514", "@@host", with an
// optional "(o,z9)" options group) and RainerScript omfwd/omrelp actions,
// and whether it makes TLS the default netstream driver. Errors: a forward
// with no host, an action( never closed or longer than 64 KiB.
struct RsyslogScan {
  std::vector<LogDestination> destinations;
  bool tls_default = false;
};
Result<RsyslogScan> ScanRsyslog(std::string_view text, const std::string& where);

// One syslog-ng file: network(), tcp(), udp() and syslog() drivers with a
// quoted host (syslog() without one is a source). Errors: a driver call
// never closed or longer than 64 KiB.
Result<std::vector<LogDestination>> ScanSyslogNg(std::string_view text, const std::string& where);

// One chrony.conf or ntp.conf: the hosts of server/pool/peer lines, and the
// files chrony reads besides (confdir DIR → DIR/*.conf, sourcedir DIR →
// DIR/*.sources, include PATTERN). Error: a source directive with no host,
// as chronyd refuses it.
struct NtpScan {
  std::vector<std::string> servers;
  std::vector<std::pair<std::string, std::string>> dirs;  // (directory, file suffix)
  std::vector<std::string> includes;                      // glob patterns
};
Result<NtpScan> ScanNtpConfig(std::string_view text, const std::string& where);

// auditd.conf: "key = value" lines (keys as written, values trimmed).
// Error: a line that is neither a comment, blank nor an assignment, on
// which auditd itself refuses to start.
Result<std::map<std::string, std::string>> ParseAuditdConf(std::string_view text,
                                                           const std::string& where);

// What audit rules watch: paths (-w PATH, -F path=, -F dir=) and syscalls
// (-S NAME[,NAME]). Errors: -w or -S with nothing after it.
struct AuditRules {
  std::set<std::string> paths;
  std::set<std::string> syscalls;
};
Status ScanAuditRules(std::string_view text, const std::string& where, AuditRules* into);

}  // namespace shoko::collectors::logs

#endif  // SHOKO_COLLECTORS_LOGS_LOG_SCANNERS_H_
