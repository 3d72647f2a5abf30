#include "evidence/upload_client.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "platform/grpc_status.h"
#include "shoko/v1/ingest.grpc.pb.h"

namespace shoko::evidence {
namespace {

constexpr uint32_t kProtocolVersion = 1;

using Stream = grpc::ClientReaderWriter<v1::UploadRequest, v1::UploadResponse>;

// One Upload stream: the writer on the caller's thread, acks read on a thread
// of their own so that the writer never blocks on a store that is itself
// blocked sending acks.
class UploadStream {
 public:
  UploadStream(const std::shared_ptr<grpc::Channel>& channel, std::string_view store_address,
               const UploadHello& hello, UploadSource& source, const UploadOptions& options)
      : channel_(channel),
        address_(store_address),
        peer_("store " + address_),
        hello_(hello),
        source_(source),
        options_(options) {}

  Result<UploadResult> Run();

 private:
  // Hello → HelloAck: the store's durable head.
  Result<ChainHead> Greet();
  // Ends a stream the client gives up on, and returns `why`.
  Status Abandon(Status why);
  void ReadAcks();
  Status WriteRecords(uint64_t cursor);
  // Waits until `seq` fits the window; false when the reader has stopped.
  bool WaitForRoom(uint64_t seq);
  void Pace();
  // The stream's end as a Status: a refused record is Corruption naming it.
  Status Ended(const grpc::Status& status);

  std::shared_ptr<grpc::Channel> channel_;
  const std::string address_;
  const std::string peer_;  // "store HOST:PORT", as errors name it
  const UploadHello& hello_;
  UploadSource& source_;
  const UploadOptions& options_;
  grpc::ClientContext ctx_;
  std::unique_ptr<v1::EvidenceIngest::Stub> stub_;
  std::unique_ptr<Stream> stream_;

  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t durable_ = 0;
  uint64_t acked_ = 0;
  uint64_t highest_sent_ = 0;  // the highest seq handed to the stream
  // Seqs sent that the store has not yet shown it accepted, in send order.
  std::deque<uint64_t> unproven_;
  bool reader_done_ = false;
  Status reader_status_;
  uint64_t sent_ = 0;
  std::chrono::steady_clock::time_point pace_start_;
  uint64_t paced_ = 0;
};

Status UploadStream::Abandon(Status why) {
  ctx_.TryCancel();
  (void)stream_->Finish();
  return why;
}

Result<ChainHead> UploadStream::Greet() {
  v1::UploadRequest request;
  v1::Hello* h = request.mutable_hello();
  h->set_protocol_version(kProtocolVersion);
  h->set_agent_id(hello_.agent_id);
  if (!hello_.agent_version.empty()) h->set_agent_version(hello_.agent_version);
  if (hello_.first_key) {
    h->set_key_id(hello_.first_key->KeyId());
    h->set_public_key(hello_.first_key->raw());
  }
  v1::UploadResponse answer;
  if (!stream_->Write(request) || !stream_->Read(&answer)) {
    return platform::FromGrpc(stream_->Finish(), peer_);
  }
  if (!answer.has_hello_ack()) {
    return Abandon(Status::InvalidArgument(peer_ + " answered Hello without a HelloAck"));
  }
  return ChainHead{answer.hello_ack().durable_seq(), answer.hello_ack().durable_digest()};
}

void UploadStream::ReadAcks() {
  v1::UploadResponse response;
  while (stream_->Read(&response)) {
    if (!response.has_ack()) continue;
    const uint64_t seq = response.ack().acked_seq();
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Never act on the word of a peer that acks what it was not sent.
      if (seq > highest_sent_) {
        reader_status_ = Status::InvalidArgument(peer_ + " acked seq " + std::to_string(seq) +
                                                 " but only seq " + std::to_string(highest_sent_) +
                                                 " was sent; nothing more was deleted");
        ctx_.TryCancel();
        break;
      }
    }
    Status s = source_.Acked(seq);
    std::lock_guard<std::mutex> lock(mu_);
    if (!s.ok() && reader_status_.ok()) reader_status_ = s;
    if (seq > acked_) acked_ = seq;
    // The store takes records in order: an ack past its head proves every
    // record sent before it. An ack of the head itself answers a resend of a
    // record it holds, and proves at least the first such resend.
    if (seq > durable_) {
      while (!unproven_.empty() && unproven_.front() <= seq) unproven_.pop_front();
    } else if (!unproven_.empty() && unproven_.front() <= durable_) {
      unproven_.pop_front();
    }
    cv_.notify_all();
  }
  std::lock_guard<std::mutex> lock(mu_);
  reader_done_ = true;
  cv_.notify_all();
}

bool UploadStream::WaitForRoom(uint64_t seq) {
  std::unique_lock<std::mutex> lock(mu_);
  // A resend of a record the store holds takes no room: its ack is the head.
  cv_.wait(lock, [&] { return reader_done_ || seq <= acked_ || seq - acked_ <= options_.window; });
  if (reader_done_) return false;
  highest_sent_ = std::max(highest_sent_, seq);  // before the write: its ack may come at once
  unproven_.push_back(seq);
  return true;
}

// Draining a backlog at a bounded rate keeps a fleet that comes back after an
// outage from overwhelming the store.
void UploadStream::Pace() {
  if (options_.max_records_per_second == 0) return;
  std::this_thread::sleep_until(
      pace_start_ + std::chrono::microseconds(paced_ * 1000000 / options_.max_records_per_second));
  ++paced_;
}

Status UploadStream::WriteRecords(uint64_t cursor) {
  pace_start_ = std::chrono::steady_clock::now();
  for (;;) {
    auto batch = source_.After(cursor, options_.window);
    if (!batch.ok()) return batch.status();
    if (batch->empty()) return Status::OK();
    for (OutgoingRecord& record : *batch) {
      if (!WaitForRoom(record.seq)) return Status::OK();  // the stream's end says why
      source_.Sending(record.seq);
      Pace();
      v1::UploadRequest request;
      *request.mutable_envelope() = std::move(record.envelope);
      if (!stream_->Write(request)) return Status::OK();
      ++sent_;
      cursor = record.seq;
    }
  }
}

Status UploadStream::Ended(const grpc::Status& status) {
  Status s = platform::FromGrpc(status, peer_);
  const bool refused = s.code() == Status::Code::kInvalidArgument ||
                       s.code() == Status::Code::kPermissionDenied ||
                       s.code() == Status::Code::kCorruption;
  std::lock_guard<std::mutex> lock(mu_);
  if (!refused || unproven_.empty()) return s;
  // What the store refused once it had greeted the agent is a record.
  const uint64_t seq = unproven_.front();
  const std::string which = seq > durable_ ? "seq " + std::to_string(seq)
                                           : "a record from seq " + std::to_string(seq) + " on";
  return Status::Corruption(peer_ + " refused " + which + ": " + status.error_message());
}

Result<UploadResult> UploadStream::Run() {
  const auto now = std::chrono::system_clock::now();
  if (!channel_->WaitForConnected(now + options_.connect_timeout)) {
    return Status::Unavailable("cannot connect to store at " + address_ + " within " +
                               std::to_string(options_.connect_timeout.count()) + " ms");
  }
  stub_ = v1::EvidenceIngest::NewStub(channel_);
  ctx_.set_deadline(now + options_.connect_timeout + options_.upload_timeout);
  stream_ = stub_->Upload(&ctx_);
  auto head = Greet();
  if (!head.ok()) return head.status();
  auto start = source_.Start(*head);
  if (!start.ok()) return Abandon(start.status());
  durable_ = acked_ = highest_sent_ = head->seq;

  std::thread reader([this] { ReadAcks(); });
  Status write_status = WriteRecords(*start);
  if (!write_status.ok()) ctx_.TryCancel();
  stream_->WritesDone();
  reader.join();
  grpc::Status final_status = stream_->Finish();
  if (!write_status.ok()) return write_status;
  if (!reader_status_.ok()) return reader_status_;
  if (!final_status.ok()) return Ended(final_status);
  SHOKO_RETURN_IF_ERROR(source_.Finished(acked_));
  if (acked_ < highest_sent_) {
    return Status::Internal(peer_ + " closed the stream after acking seq " +
                            std::to_string(acked_) + " of " + std::to_string(highest_sent_));
  }
  return UploadResult{durable_, acked_, sent_};
}

}  // namespace

Result<UploadResult> Upload(const std::shared_ptr<grpc::Channel>& channel,
                            std::string_view store_address, const UploadHello& hello,
                            UploadSource& source, const UploadOptions& options) {
  UploadStream stream(channel, store_address, hello, source, options);
  return stream.Run();
}

}  // namespace shoko::evidence
