#include "agent/transparency_log.h"

#include "platform/grpc_status.h"
#include "shoko/v1/log.grpc.pb.h"

namespace shoko::agent {
namespace {

class GrpcTransparencyLog final : public TransparencyLogClient {
 public:
  GrpcTransparencyLog(std::shared_ptr<grpc::Channel> channel, const std::string& store_address,
                      std::chrono::milliseconds deadline)
      : stub_(v1::TransparencyLog::NewStub(channel)),
        peer_("store " + store_address + " (log)"),
        deadline_(deadline) {}

  Result<std::string> LatestCheckpoint() override {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::Checkpoint checkpoint;
    grpc::Status s = stub_->GetCheckpoint(&ctx, v1::GetCheckpointRequest(), &checkpoint);
    if (!s.ok()) return platform::FromGrpc(s, peer_);
    return checkpoint.note();
  }

  Result<std::vector<std::string>> ConsistencyProof(uint64_t first, uint64_t second) override {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::ConsistencyProofRequest request;
    request.set_first_size(first);
    request.set_second_size(second);
    v1::ConsistencyProof proof;
    grpc::Status s = stub_->GetConsistencyProof(&ctx, request, &proof);
    if (!s.ok()) return platform::FromGrpc(s, peer_);
    return std::vector<std::string>(proof.hashes().begin(), proof.hashes().end());
  }

  Result<std::vector<v1::InclusionProof>> InclusionProofs(const v1::AgentSeqRange& range,
                                                          uint64_t tree_size) override {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::InclusionProofsRequest request;
    *request.mutable_records() = range;
    request.set_tree_size(tree_size);
    auto reader = stub_->GetInclusionProofs(&ctx, request);
    std::vector<v1::InclusionProof> proofs;
    v1::InclusionProof proof;
    // A range is at most one page of the outbox, so the answer is bounded.
    while (reader->Read(&proof)) proofs.push_back(std::move(proof));
    grpc::Status s = reader->Finish();
    if (!s.ok()) return platform::FromGrpc(s, peer_);
    return proofs;
  }

  Status AddCosignature(uint64_t tree_size, const std::string& signature_line) override {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::AddCosignatureRequest request;
    request.set_tree_size(tree_size);
    request.set_signature_line(signature_line);
    v1::AddCosignatureResponse response;
    grpc::Status s = stub_->AddCosignature(&ctx, request, &response);
    return s.ok() ? Status::OK() : platform::FromGrpc(s, peer_);
  }

 private:
  void SetDeadline(grpc::ClientContext* ctx) const {
    ctx->set_deadline(std::chrono::system_clock::now() + deadline_);
  }

  std::unique_ptr<v1::TransparencyLog::Stub> stub_;
  const std::string peer_;
  const std::chrono::milliseconds deadline_;
};

}  // namespace

std::unique_ptr<TransparencyLogClient> NewTransparencyLogClient(
    std::shared_ptr<grpc::Channel> channel, const std::string& store_address,
    std::chrono::milliseconds deadline) {
  return std::make_unique<GrpcTransparencyLog>(std::move(channel), store_address, deadline);
}

}  // namespace shoko::agent
