#include "platform/grpc_tls.h"

#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "platform/local_files.h"
#include "platform/net_address.h"
#include "platform/x509.h"

namespace shoko::platform {
namespace {

// gRPC's threads outlive main() and may still be inside OpenSSL while the
// process exits; OpenSSL's atexit cleanup would free state from under them
// (seen as a lost per-thread error queue under LeakSanitizer). The OS frees
// everything at exit anyway, so OpenSSL registers no atexit handler. This must
// be OpenSSL's first initialisation, hence a static initialiser.
[[maybe_unused]] const bool kOpenSslWithoutAtexit =
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr) == 1;

Result<std::string> ReadPem(const std::string& path, const char* what) {
  auto text = ReadLocalFile(path, 1 << 20);
  if (!text.ok()) return text.status().WithContext(what);
  return text;
}

// gRPC 1.51 has no API for the lowest TLS version and sets TLS 1.2 as the
// minimum on every SSL_CTX it makes. The protocol *options* of OpenSSL's
// system_default section survive that call, so shoko installs its own
// system_default (TLS 1.3 only, security level 2) before gRPC makes any
// context. This applies to the whole process, libpq's connections included.
Status RequireTls13() {
  static Status result = [] {
    constexpr char kConfig[] =
        "shoko_conf = shoko_init\n"
        "[shoko_init]\nssl_conf = shoko_ssl\n"
        "[shoko_ssl]\nsystem_default = shoko_tls\n"
        "[shoko_tls]\nMinProtocol = TLSv1.3\nProtocol = -ALL, TLSv1.3\n"
        "CipherString = DEFAULT:@SECLEVEL=2\n";
    // The host's openssl.cnf is loaded first, so that a later implicit load
    // cannot replace this section.
    if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, nullptr) != 1) {
      return Status::Internal("cannot initialise OpenSSL");
    }
    CONF* conf = NCONF_new(nullptr);
    BIO* bio = BIO_new_mem_buf(kConfig, -1);
    long line = 0;
    bool ok = conf != nullptr && bio != nullptr && NCONF_load_bio(conf, bio, &line) > 0 &&
              CONF_modules_load(conf, "shoko_conf", 0) > 0;
    BIO_free(bio);
    NCONF_free(conf);
    if (!ok) {
      char reason[256] = "unknown error";
      if (unsigned long e = ERR_get_error(); e != 0) ERR_error_string_n(e, reason, sizeof reason);
      ERR_clear_error();
      return Status::Internal(std::string("cannot require TLS 1.3 in OpenSSL: ") + reason);
    }
    return Status::OK();
  }();
  return result;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> ParseShokoUri(const std::string& uri) {
  constexpr std::string_view kScheme = "shoko://";
  if (uri.compare(0, kScheme.size(), kScheme) != 0) return std::nullopt;
  std::string rest = uri.substr(kScheme.size());
  size_t slash = rest.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size()) return std::nullopt;
  std::string name = rest.substr(slash + 1);
  if (name.find('/') != std::string::npos) return std::nullopt;
  return std::make_pair(rest.substr(0, slash), name);
}

Result<std::shared_ptr<grpc::Channel>> OpenChannel(const std::string& address,
                                                   const std::optional<TlsFiles>& tls,
                                                   const grpc::ChannelArguments& args) {
  auto hp = ParseHostPort(address);
  if (!hp.ok()) return hp.status();
  if (!tls) {
    if (!IsLoopbackHost(hp->host)) {
      return Status::InvalidArgument("plaintext is allowed only to a loopback store, not '" +
                                     hp->host + "': give the deployment's CA (and a certificate)");
    }
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  if (Status s = RequireTls13(); !s.ok()) return s;
  grpc::SslCredentialsOptions options;
  auto ca = ReadPem(tls->ca, "CA certificate");
  if (!ca.ok()) return ca.status();
  options.pem_root_certs = *ca;
  if (!tls->cert.empty() || !tls->key.empty()) {
    auto cert = ReadPem(tls->cert, "certificate");
    if (!cert.ok()) return cert.status();
    auto key = ReadPem(tls->key, "key");
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *cert;
    options.pem_private_key = *key;
  }
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(options), args);
}

Result<std::shared_ptr<grpc::ServerCredentials>> ServerTlsCredentials(const TlsFiles& files) {
  auto ca = ReadPem(files.ca, "tls_ca");
  if (!ca.ok()) return ca.status();
  auto cert = ReadPem(files.cert, "tls_cert");
  if (!cert.ok()) return cert.status();
  auto key = ReadPem(files.key, "tls_key");
  if (!key.ok()) return key.status();
  if (Status s = VerifyCertificate(*cert, *ca); !s.ok()) {
    return s.WithContext("tls_cert " + files.cert + " is not from tls_ca " + files.ca);
  }
  if (Status s = RequireTls13(); !s.ok()) return s;
  grpc::SslServerCredentialsOptions options(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = *ca;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(options);
}

std::optional<PeerIdentity> PeerIdentityOf(const grpc::ServerContext& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) return std::nullopt;
  auto pems = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.empty()) return std::nullopt;
  auto info = InspectCertificate(std::string(pems.front().data(), pems.front().size()));
  if (!info.ok()) return std::nullopt;
  for (const std::string& uri : info->uris) {
    if (auto parsed = ParseShokoUri(uri)) {
      return PeerIdentity{parsed->first, parsed->second, info->serial, info->not_after_us};
    }
  }
  return std::nullopt;
}

}  // namespace shoko::platform
