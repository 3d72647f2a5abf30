// Enrollment (docs/wire-protocol.md, "Enrollment and renewal"): an agent with a
// one-time bootstrap token registers its evidence key and gets its TLS
// certificate; later it renews it.
#ifndef SHOKO_STORE_ENROLLMENT_SERVICE_H_
#define SHOKO_STORE_ENROLLMENT_SERVICE_H_

#include <functional>
#include <optional>
#include <string>

#include "platform/x509.h"
#include "shoko/v1/admin.grpc.pb.h"
#include "store/authorization.h"
#include "store/ledger.h"

namespace shoko::store {

class EnrollmentService final : public v1::Enrollment::Service {
 public:
  // `ca` issues agent certificates valid for `cert_days`; without one,
  // enrollment is switched off and says so. Each answer carries
  // `log_verifier_key`, the store's log key for the agent to pin.
  EnrollmentService(Ledger* ledger, std::optional<platform::CertificateAuthority> ca, int cert_days,
                    std::function<int64_t()> now_us, std::string log_verifier_key)
      : ledger_(ledger),
        ca_(std::move(ca)),
        cert_days_(cert_days),
        log_verifier_key_(std::move(log_verifier_key)),
        now_us_(std::move(now_us)),
        authorization_(/*require_identity=*/true) {}

  // No client certificate needed: the token and the proof of the evidence key
  // stand in for one.
  grpc::Status Enroll(grpc::ServerContext* context, const v1::EnrollRequest* request,
                      v1::EnrollResponse* response) override;
  // Needs the agent's current certificate, and the agent still active.
  grpc::Status Renew(grpc::ServerContext* context, const v1::RenewRequest* request,
                     v1::EnrollResponse* response) override;

 private:
  grpc::Status Issue(const std::string& agent_id, const std::string& csr_pem,
                     v1::EnrollResponse* response);

  Ledger* ledger_;
  const std::optional<platform::CertificateAuthority> ca_;
  const int cert_days_;
  const std::string log_verifier_key_;
  std::function<int64_t()> now_us_;
  // A CA needs TLS, so every call here comes over TLS: renewal always needs
  // the agent's certificate.
  const Authorization authorization_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_ENROLLMENT_SERVICE_H_
