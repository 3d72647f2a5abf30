// EvidenceIngest: verifies and stores what agents upload (docs/wire-protocol.md,
// "The upload protocol").
#ifndef SHOKO_STORE_INGEST_SERVICE_H_
#define SHOKO_STORE_INGEST_SERVICE_H_

#include <atomic>
#include <functional>
#include <memory>

#include "shoko/v1/ingest.grpc.pb.h"
#include "store/authorization.h"
#include "store/committer.h"
#include "store/ledger.h"
#include "store/upload_session.h"

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
                int max_streams = 1024);

  // Hello → HelloAck with the durable head; then for each envelope: verify the
  // signature with the agent's key, parse, check the chain, commit, ack
  // (store/upload_session.h). Any refusal ends the stream with a status
  // naming the seq and the reason.
  grpc::Status Upload(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::UploadResponse, v1::UploadRequest>* stream) override;

 private:
  const Authorization authorization_;
  const int max_streams_;
  std::atomic<int> streams_{0};
  std::unique_ptr<Committer> committer_;  // group commit across every stream
  const UploadContext upload_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_INGEST_SERVICE_H_
