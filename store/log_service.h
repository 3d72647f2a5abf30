// TransparencyLog: the store's Merkle log served (docs/wire-protocol.md,
// "The transparency log"): checkpoints with their cosignatures, inclusion
// and consistency proofs, the leaves for monitors, and the agents'
// cosignatures as witnesses.
#ifndef SHOKO_STORE_LOG_SERVICE_H_
#define SHOKO_STORE_LOG_SERVICE_H_

#include <functional>
#include <string>

#include "evidence/note.h"
#include "shoko/v1/log.grpc.pb.h"
#include "store/authorization.h"
#include "store/ledger.h"
#include "store/merkle_log.h"

namespace shoko::store {

// The name a witness cosigns under: "shoko-agent/AGENT_ID".
inline constexpr std::string_view kCosignerPrefix = "shoko-agent/";

// The tree size a request names: `tree_size`, or the newest checkpoint's for
// 0. Proofs are served only within what a checkpoint has signed: NotFound
// before the first checkpoint, InvalidArgument beyond the newest.
Result<uint64_t> ProvenTreeSize(MerkleLog& log, uint64_t tree_size);

// A leaf as the wire carries it.
v1::LogLeaf LeafMessage(const LogLeaf& leaf);

class LogService final : public v1::TransparencyLog::Service {
 public:
  // With `require_identity` (TLS) the authorization table decides who reads
  // what; an agent's cosignature is checked against its current key in
  // `ledger`. `now_us` is the store's clock.
  LogService(MerkleLog* log, Ledger* ledger, bool require_identity, std::function<int64_t()> now_us)
      : log_(log), ledger_(ledger), authorization_(require_identity), now_us_(std::move(now_us)) {}

  grpc::Status GetCheckpoint(grpc::ServerContext* context, const v1::GetCheckpointRequest* request,
                             v1::Checkpoint* response) override;
  grpc::Status GetInclusionProofs(grpc::ServerContext* context,
                                  const v1::InclusionProofsRequest* request,
                                  grpc::ServerWriter<v1::InclusionProof>* writer) override;
  grpc::Status GetConsistencyProof(grpc::ServerContext* context,
                                   const v1::ConsistencyProofRequest* request,
                                   v1::ConsistencyProof* response) override;
  grpc::Status GetLeaves(grpc::ServerContext* context, const v1::GetLeavesRequest* request,
                         grpc::ServerWriter<v1::LogLeaf>* writer) override;
  grpc::Status AddCosignature(grpc::ServerContext* context,
                              const v1::AddCosignatureRequest* request,
                              v1::AddCosignatureResponse* response) override;

 private:
  // Writes the inclusion proof of `leaf` in the tree of `tree_size`; false
  // when the client has gone.
  Result<bool> WriteProof(const LogLeaf& leaf, uint64_t tree_size,
                          grpc::ServerWriter<v1::InclusionProof>* writer);
  grpc::Status ProofsOfRecords(grpc::ServerContext* context, const Caller& caller,
                               const v1::AgentSeqRange& records, uint64_t tree_size,
                               grpc::ServerWriter<v1::InclusionProof>* writer);
  // The cosigner's agent and its current key's verifier, for a line under
  // `name`; refusals as the call answers them.
  Result<evidence::NoteVerifier> CosignerKey(const std::string& name, const Caller& caller);

  MerkleLog* log_;
  Ledger* ledger_;
  const Authorization authorization_;
  const std::function<int64_t()> now_us_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_LOG_SERVICE_H_
