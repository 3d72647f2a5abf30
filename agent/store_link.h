// The agent's link to the store (docs/wire-protocol.md, "Channel settings"):
// the channel (TLS with the agent's certificate, or plaintext to a loopback
// store), the uploader over it, and the certificate renewal that replaces
// both.
#ifndef SHOKO_AGENT_STORE_LINK_H_
#define SHOKO_AGENT_STORE_LINK_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>

#include "agent/config.h"
#include "agent/state_dir.h"
#include "agent/uploader.h"
#include "platform/grpc_tls.h"

namespace shoko::agent {

// The TLS files for the store: the deployment CA, and the agent's certificate
// and key (by default where `enroll` writes them); none for plaintext to a
// loopback store.
std::optional<platform::TlsFiles> StoreTls(const AgentConfig& config);

class StoreLink {
 public:
  // Connects to the config's store for the agent in `dir` (opened online).
  // Errors are the config's: a bad address, missing TLS files, no first key.
  static Result<std::unique_ptr<StoreLink>> Open(const AgentConfig& config, StateDir* dir);

  // Renews the certificate when it is due (and reconnects with the new one),
  // then uploads the outbox; logs how it went.
  Status Upload();

 private:
  StoreLink(const AgentConfig& config, StateDir* dir, evidence::PublicKey first_key);
  Status Connect();
  void RenewCertificateIfDue();

  const AgentConfig& config_;
  StateDir* dir_;
  const evidence::PublicKey first_key_;
  const std::optional<platform::TlsFiles> tls_;
  UploadOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Uploader> uploader_;
};

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_STORE_LINK_H_
