// `shokoctl pki`: the certificate authority of a shoko deployment (design §5).
#ifndef SHOKO_CLI_PKI_COMMAND_H_
#define SHOKO_CLI_PKI_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "platform/status.h"
#include "platform/x509.h"

namespace shoko::cli {

// The roles of design §5 and the store's own server certificate.
inline constexpr const char* kRoles[] = {"store", "agent", "auditor", "admin", "importer"};

// The certificate spec for a holder: its URI SAN shoko://ROLE/NAME, its uses,
// and for the store the host names clients will dial. InvalidArgument for an
// unknown role or a name outside [A-Za-z0-9._-] (an agent's name is its
// 64-hex agent_id).
Result<platform::CertificateSpec> SpecFor(const std::string& role, const std::string& name,
                                          const std::vector<std::string>& hosts, int days);

struct PkiInit {
  std::string dir;
  std::string name = "shoko-ca";
  int days = 3650;
};
struct PkiIssue {
  std::string dir;
  std::string role;
  std::string name;
  std::vector<std::string> hosts;
  int days = 397;
};

// Writes DIR/ca.crt and DIR/ca.key (0600); refuses to overwrite them.
int RunPkiInit(const PkiInit& request, std::ostream& out, std::ostream& err);
// Writes DIR/NAME.crt and DIR/NAME.key (0600), issued by DIR/ca.*.
int RunPkiIssue(const PkiIssue& request, std::ostream& out, std::ostream& err);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_PKI_COMMAND_H_
