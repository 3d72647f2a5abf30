#include "cli/log_client.h"

#include "evidence/log_leaf.h"
#include "evidence/merkle.h"

namespace shoko::cli {

LogClient::LogClient(StoreChannel store, std::chrono::seconds deadline)
    : store_(std::move(store)),
      deadline_(deadline),
      stub_(v1::TransparencyLog::NewStub(store_.channel)) {}

void LogClient::Deadline(grpc::ClientContext* ctx) const {
  ctx->set_deadline(std::chrono::system_clock::now() + deadline_);
}

Result<v1::Checkpoint> LogClient::Checkpoint(uint64_t tree_size) {
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::GetCheckpointRequest request;
  request.set_tree_size(tree_size);
  v1::Checkpoint checkpoint;
  grpc::Status status = stub_->GetCheckpoint(&ctx, request, &checkpoint);
  if (!status.ok()) return store_.CallFailed(status);
  return checkpoint;
}

Result<std::vector<v1::InclusionProof>> LogClient::InclusionProofs(
    const v1::InclusionProofsRequest& request) {
  grpc::ClientContext ctx;
  Deadline(&ctx);
  auto reader = stub_->GetInclusionProofs(&ctx, request);
  std::vector<v1::InclusionProof> proofs;
  v1::InclusionProof proof;
  while (reader->Read(&proof)) proofs.push_back(proof);
  grpc::Status status = reader->Finish();
  if (!status.ok()) return store_.CallFailed(status);
  return proofs;
}

Result<v1::ConsistencyProof> LogClient::ConsistencyProof(uint64_t first_size,
                                                         uint64_t second_size) {
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::ConsistencyProofRequest request;
  request.set_first_size(first_size);
  request.set_second_size(second_size);
  v1::ConsistencyProof proof;
  grpc::Status status = stub_->GetConsistencyProof(&ctx, request, &proof);
  if (!status.ok()) return store_.CallFailed(status);
  return proof;
}

Status LogClient::Leaves(uint64_t start, uint64_t end,
                         const std::function<Status(const v1::LogLeaf&)>& each) {
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::GetLeavesRequest request;
  request.set_start(start);
  request.set_end(end);
  auto reader = stub_->GetLeaves(&ctx, request);
  v1::LogLeaf leaf;
  Status failed;
  while (failed.ok() && reader->Read(&leaf)) failed = each(leaf);
  if (!failed.ok()) {
    ctx.TryCancel();
    (void)reader->Finish();
    return failed;
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return store_.CallFailed(status);
  return Status::OK();
}

Result<evidence::Checkpoint> OpenServedCheckpoint(const v1::Checkpoint& served,
                                                  const evidence::NoteVerifier& log_key) {
  auto checkpoint = evidence::OpenCheckpoint(served.note(), log_key);
  if (!checkpoint.ok()) {
    // Text that is not a signed checkpoint is the store's fault too.
    return Status::Corruption(checkpoint.status().message());
  }
  if (checkpoint->tree_size != served.tree_size() || checkpoint->root_hash != served.root_hash()) {
    return Status::Corruption("the store's tree size and root differ from its signed note's (" +
                              std::to_string(served.tree_size()) + " against " +
                              std::to_string(checkpoint->tree_size) + " leaves)");
  }
  return checkpoint;
}

Result<std::string> ServedLeafHash(const v1::LogLeaf& leaf) {
  evidence::LogLeafFields fields{leaf.agent_id(), leaf.seq(), leaf.record_digest(),
                                 leaf.signature_digest(), leaf.received_at_us()};
  auto input = evidence::LeafInput(fields);
  if (!input.ok())
    return Status::Corruption("leaf " + std::to_string(leaf.leaf_index()) + ": " +
                              input.status().message());
  return evidence::merkle::LeafHash(*input);
}

Status VerifyServedInclusion(const v1::LogLeaf& leaf, const std::vector<std::string>& hashes,
                             const evidence::Checkpoint& checkpoint) {
  SHOKO_ASSIGN_OR_RETURN(std::string leaf_hash, ServedLeafHash(leaf));
  Status verified = evidence::merkle::VerifyInclusion(leaf.leaf_index(), checkpoint.tree_size,
                                                      leaf_hash, hashes, checkpoint.root_hash);
  if (verified.ok()) return verified;
  return Status::Corruption(
      "leaf " + std::to_string(leaf.leaf_index()) + " is not included in the checkpoint of " +
      std::to_string(checkpoint.tree_size) + " leaves: " + verified.message());
}

std::vector<std::string> Hashes(const google::protobuf::RepeatedPtrField<std::string>& hashes) {
  return {hashes.begin(), hashes.end()};
}

}  // namespace shoko::cli
