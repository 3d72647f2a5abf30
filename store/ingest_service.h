// EvidenceIngest: verifies and stores what agents upload (design §1, §5).
#ifndef SHOKO_STORE_INGEST_SERVICE_H_
#define SHOKO_STORE_INGEST_SERVICE_H_

#include <atomic>
#include <functional>

#include "shoko/v1/ingest.grpc.pb.h"
#include "store/committer.h"
#include "store/ledger.h"

namespace shoko::store {

class IngestService final : public v1::EvidenceIngest::Service {
 public:
  // `now_us` is the store's clock for received times. With
  // `require_identity` (TLS), a caller must be the agent its certificate names
  // (shoko://agent/AGENT_ID) or an importer; without it (loopback plaintext,
  // for development) anyone may upload.
  // Beyond `max_streams` concurrent uploads the store answers
  // RESOURCE_EXHAUSTED, which agents treat as backpressure and retry later.
  IngestService(Ledger* ledger, std::function<int64_t()> now_us, bool require_identity = false,
                int max_streams = 1024)
      : ledger_(ledger),
        now_us_(std::move(now_us)),
        require_identity_(require_identity),
        max_streams_(max_streams),
        committer_(std::make_unique<Committer>(ledger)) {}

  // Hello → HelloAck with the durable head; then for each envelope: verify the
  // signature with the agent's key, parse, check the chain, commit, ack.
  // Any refusal ends the stream with a status naming the seq and the reason.
  grpc::Status Upload(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::UploadResponse, v1::UploadRequest>* stream) override;

 private:
  Ledger* ledger_;
  std::function<int64_t()> now_us_;
  const bool require_identity_;
  const int max_streams_;
  std::atomic<int> streams_{0};
  std::unique_ptr<Committer> committer_;  // group commit across every stream
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_INGEST_SERVICE_H_
