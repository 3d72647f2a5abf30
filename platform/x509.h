// X.509 for shoko's own PKI (docs/wire-protocol.md, "Identities"): a certificate authority that
// issues TLS certificates naming their holder in a URI SAN (shoko://agent/<agent_id>,
// shoko://auditor/<name>, …). OpenSSL 3 API only; nothing shells out.
#ifndef SHOKO_PLATFORM_X509_H_
#define SHOKO_PLATFORM_X509_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "platform/status.h"

namespace shoko::platform {

// What a certificate says about its holder and its use.
struct CertificateSpec {
  std::string common_name;
  std::vector<std::string> uris;  // URI SANs
  std::vector<std::string> dns;   // DNS SANs (servers)
  std::vector<std::string> ips;   // IP SANs (servers)
  bool server = false;            // extendedKeyUsage serverAuth
  bool client = false;            // extendedKeyUsage clientAuth
  int days = 397;
};

// A private key and certificate, PEM.
struct KeyAndCertificate {
  std::string key_pem;  // PKCS#8
  std::string cert_pem;
};

class CertificateAuthority {
 public:
  // A new self-signed CA (ECDSA P-256) named `name`, valid for `days`.
  static Result<CertificateAuthority> Create(const std::string& name, int days);
  // The CA in PEM files' contents; fails when the key does not match.
  static Result<CertificateAuthority> Load(const std::string& cert_pem, const std::string& key_pem);

  CertificateAuthority(CertificateAuthority&&) noexcept;
  CertificateAuthority& operator=(CertificateAuthority&&) noexcept;
  CertificateAuthority(const CertificateAuthority&) = delete;
  CertificateAuthority& operator=(const CertificateAuthority&) = delete;
  ~CertificateAuthority();

  const std::string& cert_pem() const { return cert_pem_; }
  std::string key_pem() const;

  // A new key (ECDSA P-256) and a certificate for it.
  Result<KeyAndCertificate> IssueWithNewKey(const CertificateSpec& spec) const;
  // A certificate for the key in a PKCS#10 request, after checking the
  // request's own signature. Only `spec` decides names and uses: nothing the
  // request asks for is copied.
  Result<std::string> IssueForRequest(const std::string& csr_pem,
                                      const CertificateSpec& spec) const;

 private:
  struct State;
  explicit CertificateAuthority(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  std::string cert_pem_;
};

// The roles of docs/wire-protocol.md, "Roles and what each may call", and the store's own server
// certificate.
inline constexpr const char* kRoles[] = {"store", "agent", "auditor", "admin", "importer"};

// The certificate spec for a holder: its URI SAN shoko://ROLE/NAME, its uses,
// and for the store the host names clients will dial (default localhost,
// 127.0.0.1, ::1). InvalidArgument for an unknown role or a name outside
// [A-Za-z0-9._-] (an agent's name is its 64-hex agent_id).
Result<CertificateSpec> IdentitySpec(const std::string& role, const std::string& name,
                                     const std::vector<std::string>& hosts, int days);

// A new ECDSA P-256 key (PKCS#8 PEM) and a PKCS#10 request for it.
Result<KeyAndCertificate> NewKeyAndRequest(const std::string& common_name);  // cert_pem = CSR

// What shoko reads from a certificate.
struct CertificateInfo {
  std::string common_name;
  std::vector<std::string> uris;
  std::string serial;  // lowercase hex
  int64_t not_before_us = 0;
  int64_t not_after_us = 0;
  std::string sha256;  // lowercase hex fingerprint of the DER
};
Result<CertificateInfo> InspectCertificate(const std::string& cert_pem);

// True when `cert_pem` was issued by `ca_pem` and is within its validity now.
Status VerifyCertificate(const std::string& cert_pem, const std::string& ca_pem);

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_X509_H_
