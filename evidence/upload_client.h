// The client side of the upload protocol (docs/wire-protocol.md, "The upload
// protocol"): a Hello, the store's durable head in answer, records in seq
// order with at most a window of them unacknowledged, and the store's acks.
// The agent's uploader, `shokoctl import` and the load generator all upload
// through Upload; each supplies its records as an UploadSource.
#ifndef SHOKO_EVIDENCE_UPLOAD_CLIENT_H_
#define SHOKO_EVIDENCE_UPLOAD_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/chain.h"
#include "evidence/keys.h"
#include "platform/status.h"
#include "shoko/v1/evidence.pb.h"

namespace shoko::evidence {

struct UploadOptions {
  // How long to wait for a connection (a store that accepts and never
  // answers never connects), and then how long the stream may last.
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds upload_timeout{60000};
  size_t window = 64;                   // records sent but not yet acked
  uint64_t max_records_per_second = 0;  // 0: as fast as the store acks
};

// Who is uploading: what the Hello says.
struct UploadHello {
  std::string agent_id;
  // The agent's first key (key_id = agent_id). Absent: an agent the store
  // already knows (an import of a later file).
  std::optional<PublicKey> first_key;
  std::string agent_version;  // may be empty
};

// One record as the stream carries it.
struct OutgoingRecord {
  uint64_t seq = 0;
  v1::Envelope envelope;
};

// What one upload sends and what becomes of the store's answers. Acked is
// called on the stream's reader thread, everything else on the caller's.
class UploadSource {
 public:
  virtual ~UploadSource() = default;
  // The store's durable head for the agent, before any record goes: the seq
  // after which sending starts, or why nothing may be sent (the store is
  // ahead of the source, or holds another record at its head).
  virtual Result<uint64_t> Start(const ChainHead& durable) = 0;
  // Up to `max` records after seq `after`, in seq order; none when all went.
  virtual Result<std::vector<OutgoingRecord>> After(uint64_t after, size_t max) = 0;
  // The store holds every record through `seq` durably.
  virtual Status Acked(uint64_t seq) {
    (void)seq;
    return Status::OK();
  }
  // Record `seq` is about to be written.
  virtual void Sending(uint64_t seq) { (void)seq; }
  // The stream ended without error; `acked` is the store's last ack. Called
  // before Upload checks that everything sent was acknowledged.
  virtual Status Finished(uint64_t acked) {
    (void)acked;
    return Status::OK();
  }
};

struct UploadResult {
  uint64_t durable = 0;  // the store's head when the stream opened
  uint64_t acked = 0;    // the highest seq it acknowledged (at least durable)
  uint64_t sent = 0;     // records written
};

// One Upload stream over `channel` to the store at `store_address`: Hello,
// then the source's records after Start's answer, each acknowledged before
// the window lets more go. Source errors come back unchanged; otherwise:
//   Unavailable       the store cannot be reached or did not answer in time;
//   PermissionDenied  it refused the credentials, the role or the agent;
//   Corruption        it refused a record (its signature, its chain): the
//                     message names the record's seq;
//   InvalidArgument   it broke the protocol (no HelloAck, an ack for a record
//                     it was not sent); Internal: it ended the stream without
//                     acknowledging everything; others as platform::FromGrpc.
Result<UploadResult> Upload(const std::shared_ptr<grpc::Channel>& channel,
                            std::string_view store_address, const UploadHello& hello,
                            UploadSource& source, const UploadOptions& options);

}  // namespace shoko::evidence

#endif  // SHOKO_EVIDENCE_UPLOAD_CLIENT_H_
