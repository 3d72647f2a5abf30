#include "platform/x509.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <ctime>

#include "platform/digest.h"

namespace shoko::platform {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_REQ* p) const { X509_REQ_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Free>;

std::string SslError(const char* what) {
  unsigned long err = ERR_get_error();
  ERR_clear_error();
  char buf[256] = "unknown error";
  if (err != 0) ERR_error_string_n(err, buf, sizeof buf);
  return std::string(what) + ": " + buf;
}

std::string BioString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

Ptr<EVP_PKEY> NewEcKey() { return Ptr<EVP_PKEY>(EVP_EC_gen("P-256")); }

std::string KeyPem(EVP_PKEY* key) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return BioString(bio.get());
}

std::string CertPem(X509* cert) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return BioString(bio.get());
}

Ptr<X509> ParseCert(const std::string& pem) {
  Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Ptr<X509>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return Status::InvalidArgument(SslError(("extension " + value).c_str()));
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1 ? Status::OK() : Status::Internal(SslError("add extension"));
}

// A name in a SAN list is pasted into OpenSSL's config syntax, so it must not
// carry that syntax's separators.
Status CheckSanValue(const std::string& v) {
  if (v.empty() || v.find_first_of(",\n\r\"\\") != std::string::npos) {
    return Status::InvalidArgument("'" + v + "' cannot be a certificate name");
  }
  return Status::OK();
}

// Builds and signs a certificate for `subject_key` per `spec`. A null
// `issuer` makes it self-signed (a CA).
Result<Ptr<X509>> Build(EVP_PKEY* subject_key, const CertificateSpec& spec, X509* issuer,
                        EVP_PKEY* issuer_key, bool is_ca) {
  Ptr<X509> cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1) return Status::Internal("no randomness");
  serial_bytes[0] &= 0x7f;  // positive
  Ptr<BIGNUM> serial(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
  BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);  // tolerate small clock skew
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), spec.days, 0, nullptr);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(cert.get(), subject_key);
  X509* signer = issuer ? issuer : cert.get();
  if (is_ca) {
    SHOKO_RETURN_IF_ERROR(
        AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
    SHOKO_RETURN_IF_ERROR(
        AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign"));
  } else {
    SHOKO_RETURN_IF_ERROR(
        AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE"));
    SHOKO_RETURN_IF_ERROR(
        AddExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature"));
    std::string eku;
    if (spec.server) eku += "serverAuth";
    if (spec.client) eku += std::string(eku.empty() ? "" : ",") + "clientAuth";
    if (!eku.empty())
      SHOKO_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_ext_key_usage, eku));
  }
  SHOKO_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash"));
  if (issuer) {
    SHOKO_RETURN_IF_ERROR(
        AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always"));
  }
  std::string san;
  for (const std::string& u : spec.uris) {
    SHOKO_RETURN_IF_ERROR(CheckSanValue(u));
    san += (san.empty() ? "" : ",") + std::string("URI:") + u;
  }
  for (const std::string& d : spec.dns) {
    SHOKO_RETURN_IF_ERROR(CheckSanValue(d));
    san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  }
  for (const std::string& ip : spec.ips) {
    SHOKO_RETURN_IF_ERROR(CheckSanValue(ip));
    san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
  }
  if (!san.empty())
    SHOKO_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_subject_alt_name, san));
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) {
    return Status::Internal(SslError("sign certificate"));
  }
  return cert;
}

}  // namespace

struct CertificateAuthority::State {
  Ptr<X509> cert;
  Ptr<EVP_PKEY> key;
};

CertificateAuthority::CertificateAuthority(std::unique_ptr<State> state)
    : state_(std::move(state)), cert_pem_(CertPem(state_->cert.get())) {}
CertificateAuthority::CertificateAuthority(CertificateAuthority&&) noexcept = default;
CertificateAuthority& CertificateAuthority::operator=(CertificateAuthority&&) noexcept = default;
CertificateAuthority::~CertificateAuthority() = default;

Result<CertificateAuthority> CertificateAuthority::Create(const std::string& name, int days) {
  auto state = std::make_unique<State>();
  state->key = NewEcKey();
  if (!state->key) return Status::Internal(SslError("generate CA key"));
  CertificateSpec spec;
  spec.common_name = name;
  spec.days = days;
  auto cert = Build(state->key.get(), spec, nullptr, state->key.get(), /*is_ca=*/true);
  if (!cert.ok()) return cert.status();
  state->cert = std::move(cert).value();
  return CertificateAuthority(std::move(state));
}

Result<CertificateAuthority> CertificateAuthority::Load(const std::string& cert_pem,
                                                        const std::string& key_pem) {
  auto state = std::make_unique<State>();
  state->cert = ParseCert(cert_pem);
  if (!state->cert) return Status::InvalidArgument("not a PEM certificate");
  Ptr<BIO> bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  state->key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();  // never echo key material
  if (!state->key) return Status::InvalidArgument("not a PEM private key");
  if (X509_check_private_key(state->cert.get(), state->key.get()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("the CA key does not match the CA certificate");
  }
  return CertificateAuthority(std::move(state));
}

std::string CertificateAuthority::key_pem() const { return KeyPem(state_->key.get()); }

Result<KeyAndCertificate> CertificateAuthority::IssueWithNewKey(const CertificateSpec& spec) const {
  Ptr<EVP_PKEY> key = NewEcKey();
  if (!key) return Status::Internal(SslError("generate key"));
  auto cert = Build(key.get(), spec, state_->cert.get(), state_->key.get(), /*is_ca=*/false);
  if (!cert.ok()) return cert.status();
  return KeyAndCertificate{KeyPem(key.get()), CertPem(cert->get())};
}

Result<std::string> CertificateAuthority::IssueForRequest(const std::string& csr_pem,
                                                          const CertificateSpec& spec) const {
  Ptr<BIO> bio(BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size())));
  Ptr<X509_REQ> req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) {
    ERR_clear_error();
    return Status::InvalidArgument("not a PEM certificate request");
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr || X509_REQ_verify(req.get(), key) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("the certificate request's signature does not verify");
  }
  auto cert = Build(key, spec, state_->cert.get(), state_->key.get(), /*is_ca=*/false);
  if (!cert.ok()) return cert.status();
  return CertPem(cert->get());
}

Result<KeyAndCertificate> NewKeyAndRequest(const std::string& common_name) {
  Ptr<EVP_PKEY> key = NewEcKey();
  if (!key) return Status::Internal(SslError("generate key"));
  Ptr<X509_REQ> req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_REQ_set_pubkey(req.get(), key.get());
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) == 0) {
    return Status::Internal(SslError("sign request"));
  }
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  return KeyAndCertificate{KeyPem(key.get()), BioString(bio.get())};
}

Result<CertificateInfo> InspectCertificate(const std::string& cert_pem) {
  Ptr<X509> cert = ParseCert(cert_pem);
  if (!cert) {
    ERR_clear_error();
    return Status::InvalidArgument("not a PEM certificate");
  }
  CertificateInfo info;
  char cn[256] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
  info.common_name = cn;
  Ptr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type != GEN_URI) continue;
    const ASN1_IA5STRING* s = n->d.uniformResourceIdentifier;
    info.uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                           static_cast<size_t>(ASN1_STRING_length(s)));
  }
  Ptr<BIGNUM> serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  char* hex = BN_bn2hex(serial.get());
  info.serial = hex;
  OPENSSL_free(hex);
  for (char& c : info.serial) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  struct tm tm {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) == 1) {
    info.not_after_us = static_cast<int64_t>(timegm(&tm)) * 1000000;
  }
  if (ASN1_TIME_to_tm(X509_get0_notBefore(cert.get()), &tm) == 1) {
    info.not_before_us = static_cast<int64_t>(timegm(&tm)) * 1000000;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert.get(), EVP_sha256(), md, &len);
  static const char* kHex = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    info.sha256.push_back(kHex[md[i] >> 4]);
    info.sha256.push_back(kHex[md[i] & 15]);
  }
  return info;
}

Status VerifyCertificate(const std::string& cert_pem, const std::string& ca_pem) {
  Ptr<X509> cert = ParseCert(cert_pem);
  Ptr<X509> ca = ParseCert(ca_pem);
  if (!cert || !ca) {
    ERR_clear_error();
    return Status::InvalidArgument("not a PEM certificate");
  }
  Ptr<X509_STORE> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca.get());
  Ptr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr);
  if (X509_verify_cert(ctx.get()) != 1) {
    std::string why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
    ERR_clear_error();
    return Status::PermissionDenied("certificate does not verify: " + why);
  }
  return Status::OK();
}

namespace {

bool IsName(const std::string& s) {
  return !s.empty() && s.size() <= 64 &&
         s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
             std::string::npos;
}

bool IsIp(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

Result<CertificateSpec> IdentitySpec(const std::string& role, const std::string& name,
                                     const std::vector<std::string>& hosts, int days) {
  bool known = false;
  for (const char* r : kRoles) known = known || role == r;
  if (!known) {
    return Status::InvalidArgument("--role: '" + role +
                                   "' is not one of store, agent, auditor, admin, importer");
  }
  if (role == "agent") {
    if (!IsHexSha256(name)) {
      return Status::InvalidArgument(
          "--name: an agent's certificate names its agent_id (64 hex digits)");
    }
  } else if (!IsName(name)) {
    return Status::InvalidArgument("--name: '" + name + "' must be 1-64 of A-Z a-z 0-9 . _ -");
  }
  if (days < 1 || days > 3650) return Status::InvalidArgument("--days: must be 1 to 3650");
  CertificateSpec spec;
  spec.common_name = role + ":" + name;
  spec.uris = {"shoko://" + role + "/" + name};
  spec.days = days;
  spec.client = role != "store";
  spec.server = role == "store";
  if (role == "store") {
    std::vector<std::string> names = hosts;
    if (names.empty()) names = {"localhost", "127.0.0.1", "::1"};
    for (const std::string& h : names) {
      if (IsIp(h)) {
        spec.ips.push_back(h);
      } else if (IsName(h)) {
        spec.dns.push_back(h);
      } else {
        return Status::InvalidArgument("--host: '" + h +
                                       "' is neither an IP address nor a host name");
      }
    }
  } else if (!hosts.empty()) {
    return Status::InvalidArgument("--host applies to the store's certificate only");
  }
  return spec;
}

}  // namespace shoko::platform
