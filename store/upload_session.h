// One upload stream (docs/wire-protocol.md, "The upload protocol"), as named
// steps in the order they run: the Hello is checked, the caller authorized, the
// agent admitted (registered on first contact), the durable head sent back;
// then each envelope is verified, placed against the chain, and committed,
// acked again or refused. Any refusal ends the stream with a status naming the
// seq and the reason, logged with who and why.
#ifndef SHOKO_STORE_UPLOAD_SESSION_H_
#define SHOKO_STORE_UPLOAD_SESSION_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "evidence/keys.h"
#include "shoko/v1/ingest.grpc.pb.h"
#include "store/ack_queue.h"
#include "store/authorization.h"
#include "store/committer.h"
#include "store/ledger.h"

namespace shoko::store {

// What every upload session of one store shares.
struct UploadContext {
  Ledger* ledger = nullptr;
  Committer* committer = nullptr;  // group commit across every stream
  const Authorization* authorization = nullptr;
  std::function<int64_t()> now_us;  // the store's clock, for received times
};

class UploadSession {
 public:
  using Stream = grpc::ServerReaderWriter<v1::UploadResponse, v1::UploadRequest>;

  UploadSession(const UploadContext& upload, grpc::ServerContext* context, Stream* stream)
      : upload_(upload), context_(context), stream_(stream) {}

  // Runs the stream to its end: OK once every accepted record is durable and
  // acked (or the client left).
  grpc::Status Run();

 private:
  // Each step answers OK to go on, or the status that ends the stream.
  grpc::Status CheckHello();
  grpc::Status Authorize();
  grpc::Status AdmitAgent();
  grpc::Status RegisterAgent(std::optional<AgentEntry>* agent);
  grpc::Status ReceiveRecords(AckQueue* acks);
  grpc::Status Receive(const v1::Envelope& envelope, AckQueue* acks);
  grpc::Status Verify(const v1::Envelope& envelope, v1::Evidence* ev);
  grpc::Status Accept(const v1::Envelope& envelope, v1::Evidence ev, const std::string& digest,
                      AckQueue* acks);
  grpc::Status AnswerHeld(const v1::Envelope& envelope, uint64_t seq, const std::string& digest,
                          AckQueue* acks);
  grpc::Status RecordFork(const v1::Envelope& envelope, uint64_t seq);
  grpc::Status Finish(grpc::Status result, AckQueue* acks);

  // The parsed key of `signer`, parsed once per stream.
  Result<const evidence::PublicKey*> KeyOf(const AgentKey& signer);
  // A refusal, logged with the peer and (once its id is checked) the agent.
  grpc::Status Refuse(grpc::StatusCode code, std::string why);
  // The store failed, not the upload: INTERNAL, logged.
  grpc::Status StoreError(const Status& s);
  const std::string& agent_id() const { return hello_.agent_id(); }

  const UploadContext& upload_;
  grpc::ServerContext* context_;
  Stream* stream_;

  v1::Hello hello_;
  std::string subject_;                           // "agent ID", once the id is checked
  std::optional<evidence::PublicKey> hello_key_;  // the key the Hello presents, if any
  Caller caller_;
  // The agent as this stream sees it: its keys move with the rotation
  // records of the upload, its head with each record accepted.
  AgentEntry agent_;
  std::map<std::string, evidence::PublicKey> keys_;  // by key_id
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_UPLOAD_SESSION_H_
