#include "evidence/chain.h"

#include "evidence/encoding.h"
#include "platform/digest.h"

namespace shoko::evidence {

std::string RecordDigest(std::string_view payload) { return platform::Sha256(payload); }

int64_t CollectedAtMicros(const v1::Evidence& record) {
  return record.collected_at().seconds() * 1000000 + record.collected_at().nanos() / 1000;
}

Link Classify(const ChainHead& head, const v1::Evidence& record) {
  if (record.seq() <= head.seq) return Link::kAlreadyHeld;
  if (record.seq() > head.seq + 1) return Link::kGap;
  return record.prev_digest() == head.digest ? Link::kNext : Link::kBrokenChain;
}

Result<v1::Evidence> ParseEvidence(std::string_view payload) {
  v1::Evidence ev;
  if (!ev.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return Status::InvalidArgument("payload is not a shoko.v1.Evidence message");
  }
  if (!platform::IsHexSha256(ev.agent_id()))
    return Status::InvalidArgument("agent_id is not 64 lowercase hex digits");
  if (!platform::IsHexSha256(ev.key_id()))
    return Status::InvalidArgument("key_id is not 64 lowercase hex digits");
  if (ev.seq() == 0) return Status::InvalidArgument("seq must start at 1");
  if (ev.prev_digest().size() != kDigestBytes) {
    return Status::InvalidArgument("prev_digest must be 32 bytes");
  }
  if (ev.check_id().empty()) return Status::InvalidArgument("check_id is empty");
  // google.protobuf.Timestamp's own range (years 1 to 9999); beyond it a
  // microsecond count would overflow.
  const auto& t = ev.collected_at();
  if (t.seconds() < -62135596800 || t.seconds() > 253402300799 || t.nanos() < 0 ||
      t.nanos() > 999999999) {
    return Status::InvalidArgument("collected_at is outside the years 1 to 9999");
  }
  return ev;
}

}  // namespace shoko::evidence
