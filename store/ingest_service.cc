#include "store/ingest_service.h"

namespace shoko::store {

IngestService::IngestService(Ledger* ledger, std::function<int64_t()> now_us, bool require_identity,
                             int max_streams)
    : authorization_(require_identity),
      max_streams_(max_streams),
      committer_(std::make_unique<Committer>(ledger)),
      upload_{ledger, committer_.get(), &authorization_, std::move(now_us)} {}

grpc::Status IngestService::Upload(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::UploadResponse, v1::UploadRequest>* stream) {
  // Backpressure: a store at its limit asks agents to come back later.
  struct Slot {
    std::atomic<int>& count;
    ~Slot() { --count; }
  } slot{streams_};
  if (++streams_ > max_streams_) {
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        "store busy: " + std::to_string(max_streams_) + " uploads in progress; retry later");
  }
  return UploadSession(upload_, context, stream).Run();
}

}  // namespace shoko::store
