// The agent's side of enrollment (docs/wire-protocol.md, "Enrollment and
// renewal"): trade a bootstrap token and proof of the evidence key for a TLS
// certificate; renew it before it expires.
#ifndef SHOKO_AGENT_ENROLLMENT_H_
#define SHOKO_AGENT_ENROLLMENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "evidence/keys.h"
#include "platform/status.h"

namespace shoko::agent {

// Where the agent keeps its TLS certificate and key.
struct TlsPaths {
  std::string cert;
  std::string key;
};

// Enrolls over `channel` (server-authenticated TLS): a new TLS key and
// request, signed together with `token` by the evidence key. Writes the key
// (0600) and the certificate. Returns the certificate's expiry; sets
// `log_verifier_key` (when given) to the store's log key as a C2SP verifier
// key, for the agent to pin (empty from a store without a log).
Result<int64_t> Enroll(const std::shared_ptr<grpc::Channel>& channel,
                       const evidence::SigningKey& evidence_key, const std::string& token,
                       const TlsPaths& paths, std::string* log_verifier_key = nullptr);

// The expiry of the certificate in `cert_file` (microseconds since the epoch).
Result<int64_t> CertificateExpiry(const std::string& cert_file);

// When the certificate at `paths.cert` has less than a third of its life left
// (or 30 days, whichever is less), renews it over `channel` (the agent's
// current mTLS channel) and returns true; the caller then reconnects.
Result<bool> RenewIfDue(const std::shared_ptr<grpc::Channel>& channel, const TlsPaths& paths,
                        int64_t now_us);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_ENROLLMENT_H_
