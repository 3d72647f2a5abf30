// Uploads the outbox to the store over EvidenceIngest/Upload
// (docs/wire-protocol.md, "The upload protocol"), through the one upload client.
#ifndef SHOKO_AGENT_UPLOADER_H_
#define SHOKO_AGENT_UPLOADER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "agent/outbox.h"
#include "evidence/keys.h"
#include "evidence/upload_client.h"

namespace shoko::agent {

using UploadOptions = evidence::UploadOptions;

// Sends the outbox's records to the store and deletes each once the store
// holds it durably, or, for a witness, marks it acknowledged: the witness
// deletes it once the store's log includes it (docs/agent-state.md,
// "Acknowledged, then included").
class Uploader {
 public:
  // `first_key`: the agent's first public key, which its Hello presents.
  Uploader(std::shared_ptr<grpc::Channel> channel, std::string store_address,
           evidence::PublicKey first_key, std::string agent_id, Outbox* outbox,
           bool keep_until_included)
      : channel_(std::move(channel)),
        store_address_(std::move(store_address)),
        first_key_(std::move(first_key)),
        agent_id_(std::move(agent_id)),
        outbox_(outbox),
        keep_until_included_(keep_until_included) {}
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  // One upload: Hello, then every outbox record after the store's durable seq,
  // in order, deleting (or marking) each once acked. Returns how many records the store
  // newly acknowledged, once the outbox is empty. Errors as evidence::Upload's
  // (Unavailable when the store cannot be reached in time, PermissionDenied
  // when it refuses the agent, Corruption when it refuses a record or holds
  // more or other than the local chain). Records stay in the outbox on any
  // failure.
  Result<uint64_t> Drain(const UploadOptions& options);

 private:
  std::shared_ptr<grpc::Channel> channel_;
  const std::string store_address_;
  const evidence::PublicKey first_key_;
  const std::string agent_id_;
  Outbox* outbox_;
  const bool keep_until_included_;
};

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_UPLOADER_H_
