#include "agent/uploader.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "evidence/encoding.h"
#include "shoko/v1/ingest.grpc.pb.h"
#include "shoko/version.h"

namespace shoko::agent {

Status FromGrpc(const grpc::Status& status, const std::string& peer) {
  std::string msg = "store " + peer + ": " + status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return Status::OK();
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:  // the store pushes back: retry later
      return Status::Unavailable(msg);
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::OUT_OF_RANGE:
      return Status::InvalidArgument(msg);
    case grpc::StatusCode::DATA_LOSS:
      return Status::Corruption(msg);
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return Status::PermissionDenied(msg);
    case grpc::StatusCode::NOT_FOUND:
      return Status::NotFound(msg);
    case grpc::StatusCode::UNIMPLEMENTED:
      return Status::NotSupported(msg);
    default:
      return Status::Internal(msg);
  }
}

Result<uint64_t> Uploader::Drain(const UploadOptions& options) {
  auto now = std::chrono::system_clock::now();
  if (!channel_->WaitForConnected(now + options.connect_timeout)) {
    return Status::Unavailable("cannot connect to store at " + store_address_ + " within " +
                               std::to_string(options.connect_timeout.count()) + " ms");
  }
  auto stub = v1::EvidenceIngest::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(now + options.connect_timeout + options.upload_timeout);
  auto stream = stub->Upload(&ctx);

  v1::UploadRequest hello;
  v1::Hello* h = hello.mutable_hello();
  h->set_protocol_version(1);
  h->set_agent_id(agent_id_);
  h->set_key_id(first_key_.KeyId());
  h->set_agent_version(kShokoVersion);
  h->set_public_key(first_key_.raw());
  v1::UploadResponse answer;
  if (!stream->Write(hello) || !stream->Read(&answer)) {
    return FromGrpc(stream->Finish(), store_address_);
  }
  if (!answer.has_hello_ack()) {
    ctx.TryCancel();
    (void)stream->Finish();
    return Status::InvalidArgument("store " + store_address_ +
                                   " answered Hello without a HelloAck");
  }
  const uint64_t durable = answer.hello_ack().durable_seq();
  const evidence::ChainHead head = outbox_->Position().head;
  if (durable > head.seq) {
    ctx.TryCancel();
    (void)stream->Finish();
    return Status::Corruption("store " + store_address_ + " holds seq " + std::to_string(durable) +
                              " for this agent but the local chain ends at seq " +
                              std::to_string(head.seq) +
                              ": the agent's state directory was lost or copied");
  }
  if (durable > 0) {
    auto held = outbox_->ReadAfter(durable - 1, 1);
    if (!held.ok()) return held.status();
    if (!held->empty() && held->front().seq == durable &&
        held->front().digest != answer.hello_ack().durable_digest()) {
      ctx.TryCancel();
      (void)stream->Finish();
      return Status::Corruption("store " + store_address_ + " holds another record at seq " +
                                std::to_string(durable) + " (fork); nothing was deleted");
    }
    SHOKO_RETURN_IF_ERROR(outbox_->DeleteThrough(durable));
  }

  // Acks arrive on their own thread so that the writer never blocks on a store
  // that is itself blocked sending acks.
  std::mutex mu;
  std::condition_variable cv;
  uint64_t acked = durable;
  uint64_t sent = durable;  // the highest seq handed to the stream
  bool reader_done = false;
  Status reader_status;
  std::thread reader([&] {
    v1::UploadResponse resp;
    while (stream->Read(&resp)) {
      if (!resp.has_ack()) continue;
      const uint64_t seq = resp.ack().acked_seq();
      {
        std::lock_guard<std::mutex> lock(mu);
        // Never delete on the word of a peer that acks what it was not sent.
        if (seq > sent) {
          reader_status = Status::InvalidArgument(
              "store " + store_address_ + " acked seq " + std::to_string(seq) + " but only seq " +
              std::to_string(sent) + " was sent; nothing more was deleted");
          ctx.TryCancel();
          break;
        }
      }
      Status s = outbox_->DeleteThrough(seq);
      std::lock_guard<std::mutex> lock(mu);
      if (!s.ok() && reader_status.ok()) reader_status = s;
      if (seq > acked) acked = seq;
      cv.notify_all();
    }
    std::lock_guard<std::mutex> lock(mu);
    reader_done = true;
    cv.notify_all();
  });

  Status write_status;
  uint64_t cursor = durable;
  // Draining a backlog at a bounded rate keeps a fleet that comes back after
  // an outage from overwhelming the store.
  const auto pace_start = std::chrono::steady_clock::now();
  uint64_t paced = 0;
  for (;;) {
    auto batch = outbox_->ReadAfter(cursor, options.window);
    if (!batch.ok()) {
      write_status = batch.status();
      break;
    }
    if (batch->empty()) break;
    bool broken = false;
    for (const OutboxRecord& record : *batch) {
      v1::UploadRequest req;
      if (!req.mutable_envelope()->ParseFromString(record.envelope)) {
        write_status = Status::Corruption("outbox record seq " + std::to_string(record.seq) +
                                          " is not a valid envelope");
        broken = true;
        break;
      }
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return reader_done || record.seq - acked <= options.window; });
        if (reader_done) {
          broken = true;
          break;
        }
        sent = record.seq;  // before the write: its ack may arrive at once
      }
      if (options.max_records_per_second > 0) {
        std::this_thread::sleep_until(
            pace_start +
            std::chrono::microseconds(paced * 1000000 / options.max_records_per_second));
        ++paced;
      }
      if (!stream->Write(req)) {
        broken = true;
        break;
      }
      cursor = record.seq;
    }
    if (broken) break;
  }
  if (!write_status.ok()) ctx.TryCancel();
  stream->WritesDone();
  reader.join();
  grpc::Status final_status = stream->Finish();
  if (!write_status.ok()) return write_status;
  if (!reader_status.ok()) return reader_status;
  if (!final_status.ok()) return FromGrpc(final_status, store_address_);
  if (Status s = outbox_->NoteAcked(acked); !s.ok()) return s;
  if (acked < sent) {
    return Status::Internal("store " + store_address_ + " closed the stream after acking seq " +
                            std::to_string(acked) + " of " + std::to_string(sent));
  }
  return acked - durable;
}

}  // namespace shoko::agent
