// Uploads the outbox to the store over EvidenceIngest/Upload (design §5).
#ifndef SHOKO_AGENT_UPLOADER_H_
#define SHOKO_AGENT_UPLOADER_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "agent/outbox.h"
#include "evidence/keys.h"

namespace shoko::agent {

struct UploadOptions {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds upload_timeout{60000};
  size_t window = 64;                   // records sent but not yet acked
  uint64_t max_records_per_second = 0;  // 0: as fast as the store acks
};

class Uploader {
 public:
  // `first_key`: the agent's first public key, which its Hello presents.
  Uploader(std::shared_ptr<grpc::Channel> channel, std::string store_address,
           evidence::PublicKey first_key, std::string agent_id, Outbox* outbox)
      : channel_(std::move(channel)),
        store_address_(std::move(store_address)),
        first_key_(std::move(first_key)),
        agent_id_(std::move(agent_id)),
        outbox_(outbox) {}
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  // One upload: Hello, then every outbox record after the store's durable seq,
  // in order, deleting each once acked. Returns when the outbox is empty.
  // Unavailable when the store cannot be reached in time; other errors carry
  // the store's reason. Records stay in the outbox on any failure.
  Result<uint64_t> Drain(const UploadOptions& options);

 private:
  std::shared_ptr<grpc::Channel> channel_;
  const std::string store_address_;
  const evidence::PublicKey first_key_;
  const std::string agent_id_;
  Outbox* outbox_;
};

// A Status for a gRPC failure talking to `peer`.
Status FromGrpc(const grpc::Status& status, const std::string& peer);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_UPLOADER_H_
