// The agent's client of the store's transparency log (proto/shoko/v1/log.proto,
// docs/ledger.md, "The Merkle log"): the calls its witness makes. An interface,
// so that the witness is tested against a fake log.
#ifndef SHOKO_AGENT_TRANSPARENCY_LOG_H_
#define SHOKO_AGENT_TRANSPARENCY_LOG_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "platform/status.h"
#include "shoko/v1/log.pb.h"

namespace shoko::agent {

class TransparencyLogClient {
 public:
  virtual ~TransparencyLogClient() = default;
  // The latest checkpoint's note as the store signed it (with the
  // cosignature lines it holds).
  virtual Result<std::string> LatestCheckpoint() = 0;
  // The RFC 9162 consistency proof between the trees of `first` and `second`
  // leaves.
  virtual Result<std::vector<std::string>> ConsistencyProof(uint64_t first, uint64_t second) = 0;
  // The inclusion proofs of `range`'s records the tree of `tree_size` holds,
  // in seq order.
  virtual Result<std::vector<v1::InclusionProof>> InclusionProofs(const v1::AgentSeqRange& range,
                                                                  uint64_t tree_size) = 0;
  // Hands the store a cosignature line of the checkpoint of `tree_size`.
  virtual Status AddCosignature(uint64_t tree_size, const std::string& signature_line) = 0;
};

// The store at `store_address`'s TransparencyLog over `channel`; each call
// may take at most `deadline`. Errors as platform::FromGrpc reads them.
std::unique_ptr<TransparencyLogClient> NewTransparencyLogClient(
    std::shared_ptr<grpc::Channel> channel, const std::string& store_address,
    std::chrono::milliseconds deadline);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_TRANSPARENCY_LOG_H_
