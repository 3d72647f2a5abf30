#include "agent/uploader.h"

#include "agent/log.h"
#include "platform/time_format.h"
#include "shoko/version.h"

namespace shoko::agent {
namespace {

// The outbox as what an upload sends: records after the store's head, each
// deleted once acknowledged, or kept and marked acknowledged for the witness.
class OutboxSource final : public evidence::UploadSource {
 public:
  OutboxSource(Outbox* outbox, const std::string& store_address, bool keep_until_included)
      : outbox_(outbox),
        peer_("store " + store_address),
        keep_until_included_(keep_until_included) {}

  // Refuses a store ahead of the local chain or holding another record at its
  // head (nothing is deleted then); else deletes (marks) what it holds.
  Result<uint64_t> Start(const evidence::ChainHead& durable) override {
    const evidence::ChainHead head = outbox_->Position().head;
    if (durable.seq > head.seq) {
      return Status::Corruption(peer_ + " holds seq " + std::to_string(durable.seq) +
                                " for this agent but the local chain ends at seq " +
                                std::to_string(head.seq) +
                                ": the agent's state directory was lost or copied");
    }
    if (durable.seq > 0) {
      SHOKO_ASSIGN_OR_RETURN(auto held, outbox_->ReadAfter(durable.seq - 1, 1));
      if (!held.empty() && held.front().seq == durable.seq &&
          held.front().digest != durable.digest) {
        return Status::Corruption(peer_ + " holds another record at seq " +
                                  std::to_string(durable.seq) + " (fork); nothing was deleted");
      }
    }
    if (keep_until_included_) SHOKO_RETURN_IF_ERROR(ForgetLostAcks(durable.seq));
    SHOKO_RETURN_IF_ERROR(Acked(durable.seq));
    return durable.seq;
  }

  // The records in order, stopping before one that is not an envelope: the
  // next call starts there and fails.
  Result<std::vector<evidence::OutgoingRecord>> After(uint64_t after, size_t max) override {
    SHOKO_ASSIGN_OR_RETURN(auto stored, outbox_->ReadAfter(after, max));
    std::vector<evidence::OutgoingRecord> records;
    for (const OutboxRecord& r : stored) {
      evidence::OutgoingRecord record{r.seq, {}};
      if (!record.envelope.ParseFromString(r.envelope)) {
        if (!records.empty()) break;
        return Status::Corruption("outbox record seq " + std::to_string(r.seq) +
                                  " is not a valid envelope");
      }
      records.push_back(std::move(record));
    }
    return records;
  }

  Status Acked(uint64_t seq) override {
    if (seq == 0) return Status::OK();
    return keep_until_included_ ? outbox_->MarkAcked(seq, platform::WallClockMicros())
                                : outbox_->DeleteThrough(seq);
  }
  Status Finished(uint64_t acked) override { return outbox_->NoteAcked(acked); }

 private:
  // Records the store acknowledged before but no longer holds (its database
  // was restored from an older copy) are sent again, and judged afresh.
  Status ForgetLostAcks(uint64_t durable_seq) {
    SHOKO_ASSIGN_OR_RETURN(const uint64_t lost, outbox_->ForgetAcksAfter(durable_seq));
    if (lost > 0) {
      Log("WARNING: " + peer_ + " no longer holds " + std::to_string(lost) +
          " record(s) it acknowledged (its head is seq " + std::to_string(durable_seq) +
          "); sending them again");
    }
    return Status::OK();
  }

  Outbox* outbox_;
  const std::string peer_;
  const bool keep_until_included_;
};

}  // namespace

Result<uint64_t> Uploader::Drain(const UploadOptions& options) {
  OutboxSource source(outbox_, store_address_, keep_until_included_);
  const evidence::UploadHello hello{agent_id_, first_key_, kShokoVersion};
  SHOKO_ASSIGN_OR_RETURN(auto result,
                         evidence::Upload(channel_, store_address_, hello, source, options));
  return result.acked - result.durable;
}

}  // namespace shoko::agent
