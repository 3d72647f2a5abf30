#include "platform/grpc_tls.h"

#include "platform/local_files.h"
#include "platform/net_address.h"
#include "platform/x509.h"

namespace shoko::platform {
namespace {

Result<std::string> ReadPem(const std::string& path, const char* what) {
  auto text = ReadLocalFile(path, 1 << 20);
  if (!text.ok()) return text.status().WithContext(what);
  return text;
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
