// The agent's link to the store (docs/wire-protocol.md, "Channel settings"):
// the channel (TLS with the agent's certificate, or plaintext to a loopback
// store), the uploader over it, the witness of the store's log when a log key
// is pinned (docs/agent-state.md, "The witness"), and the certificate renewal
// that replaces the channel.
#ifndef SHOKO_AGENT_STORE_LINK_H_
#define SHOKO_AGENT_STORE_LINK_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>

#include "agent/config.h"
#include "agent/state_dir.h"
#include "agent/transparency_log.h"
#include "agent/uploader.h"
#include "agent/witness.h"
#include "platform/grpc_tls.h"

namespace shoko::agent {

// The TLS files for the store: the deployment CA, and the agent's certificate
// and key (by default where `enroll` writes them); none for plaintext to a
// loopback store.
std::optional<platform::TlsFiles> StoreTls(const AgentConfig& config);

class StoreLink {
 public:
  // Connects to the config's store for the agent in `dir` (opened online);
  // `recorder` records the witness's incidents. Errors are the config's: a
  // bad address, missing TLS files, no first key, a pinned log key that is
  // not one.
  static Result<std::unique_ptr<StoreLink>> Open(const AgentConfig& config, StateDir* dir,
                                                 Recorder* recorder);

  // Renews the certificate when it is due (and reconnects with the new one),
  // uploads the outbox, then, as a witness, checks the store's log and
  // deletes what it includes; logs how it went. Corruption when the witness
  // found an incident.
  Status Upload();

 private:
  StoreLink(const AgentConfig& config, StateDir* dir, evidence::PublicKey first_key);
  Status Connect();
  void RenewCertificateIfDue();
  Status CheckLog();

  const AgentConfig& config_;
  StateDir* dir_;
  const evidence::PublicKey first_key_;
  const std::optional<platform::TlsFiles> tls_;
  UploadOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Uploader> uploader_;
  std::unique_ptr<TransparencyLogClient> log_;
  std::unique_ptr<Witness> witness_;  // none without a pinned log key
};

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_STORE_LINK_H_
