// TLS for shoko's gRPC channels and listeners (docs/wire-protocol.md, "Transport security"): every
// peer proves who it is with a certificate from the deployment's CA, naming it in a URI SAN
// shoko://ROLE/NAME. Plaintext exists only for loopback development.
#ifndef SHOKO_PLATFORM_GRPC_TLS_H_
#define SHOKO_PLATFORM_GRPC_TLS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>

#include "platform/status.h"

namespace shoko::platform {

// Paths of PEM files. `cert` and `key` may be empty for a client that has no
// certificate yet (enrollment), which then only authenticates the server.
struct TlsFiles {
  std::string ca;
  std::string cert;
  std::string key;
};

// A channel to `address`: TLS when `tls` is set, else plaintext, which is
// allowed only to a loopback address. Errors name the file at fault.
Result<std::shared_ptr<grpc::Channel>> OpenChannel(const std::string& address,
                                                   const std::optional<TlsFiles>& tls,
                                                   const grpc::ChannelArguments& args);

// Listener credentials: the store's certificate, and client certificates
// requested and, when presented, verified against the CA. Services decide per
// call whether a caller without one may proceed (only enrollment may).
Result<std::shared_ptr<grpc::ServerCredentials>> ServerTlsCredentials(const TlsFiles& files);

// Who called, from the verified client certificate's URI SAN.
struct PeerIdentity {
  std::string role;    // agent, auditor, admin, importer, store
  std::string name;    // an agent's agent_id, or a person's or system's name
  std::string serial;  // the certificate's serial, lowercase hex
  int64_t not_after_us = 0;
};
// Nothing when the call came without a verified client certificate (or over
// plaintext), or the certificate names no shoko:// identity.
std::optional<PeerIdentity> PeerIdentityOf(const grpc::ServerContext& context);

// "shoko://ROLE/NAME" → role and name; nothing for anything else.
std::optional<std::pair<std::string, std::string>> ParseShokoUri(const std::string& uri);

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_GRPC_TLS_H_
