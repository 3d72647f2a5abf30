// shokoctl's side of the store's transparency log (docs/wire-protocol.md,
// "The transparency log"): the calls, and the checks every command makes of what
// the log serves against the pinned log key, so that `checkpoint`, `proof`,
// `evidence`, `export` and `monitor` trust a served checkpoint or proof for
// the same reasons.
#ifndef SHOKO_CLI_LOG_CLIENT_H_
#define SHOKO_CLI_LOG_CLIENT_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/store_client.h"
#include "evidence/note.h"
#include "platform/status.h"
#include "shoko/v1/log.grpc.pb.h"

namespace shoko::cli {

// The store's TransparencyLog service; failed calls name the store.
class LogClient {
 public:
  LogClient(StoreChannel store, std::chrono::seconds deadline);

  // The checkpoint of `tree_size` leaves, or the latest (0).
  Result<v1::Checkpoint> Checkpoint(uint64_t tree_size);
  Result<std::vector<v1::InclusionProof>> InclusionProofs(
      const v1::InclusionProofsRequest& request);
  Result<v1::ConsistencyProof> ConsistencyProof(uint64_t first_size, uint64_t second_size);
  // The leaves [start, end) in order, each to `each` (which may stop the
  // stream with an error).
  Status Leaves(uint64_t start, uint64_t end,
                const std::function<Status(const v1::LogLeaf&)>& each);

  const StoreChannel& store() const { return store_; }

 private:
  void Deadline(grpc::ClientContext* ctx) const;

  StoreChannel store_;
  std::chrono::seconds deadline_;
  std::unique_ptr<v1::TransparencyLog::Stub> stub_;
};

// A served checkpoint, checked against the pinned key: its note is signed by
// the key under the key's name (the origin), and the served size and root are
// the note's. Corruption saying what does not hold.
Result<evidence::Checkpoint> OpenServedCheckpoint(const v1::Checkpoint& served,
                                                  const evidence::NoteVerifier& log_key);

// The leaf hash of a served leaf, recomputed from its fields.
Result<std::string> ServedLeafHash(const v1::LogLeaf& leaf);

// An inclusion proof of `leaf` against an opened checkpoint. Corruption when
// it does not hold (a proof for another tree size, a wrong hash, a truncated
// proof), naming the leaf.
Status VerifyServedInclusion(const v1::LogLeaf& leaf, const std::vector<std::string>& hashes,
                             const evidence::Checkpoint& checkpoint);

// The hashes of a repeated bytes field, as merkle.h takes them.
std::vector<std::string> Hashes(const google::protobuf::RepeatedPtrField<std::string>& hashes);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_LOG_CLIENT_H_
