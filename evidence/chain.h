// The hash chain that links an agent's records (docs/evidence-format.md, "The chain: seq, prev_digest and the record digest").
//
// Record n carries seq = n and prev_digest = the record digest of record n-1
// (32 zero bytes for n = 1). The record digest is SHA-256 of the Evidence bytes
// exactly as signed, and is the one digest used everywhere.
#ifndef SHOKO_EVIDENCE_CHAIN_H_
#define SHOKO_EVIDENCE_CHAIN_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "platform/status.h"
#include "shoko/v1/evidence.pb.h"

namespace shoko::evidence {

inline constexpr size_t kDigestBytes = 32;

// SHA-256 of the serialized Evidence (the envelope's payload).
std::string RecordDigest(std::string_view payload);

// The last record of a chain: seq 0 and 32 zero bytes before the first record.
struct ChainHead {
  uint64_t seq = 0;
  std::string digest = std::string(kDigestBytes, '\0');
};

// How a record relates to the chain head it is offered to.
enum class Link {
  kNext,         // seq = head + 1 and prev_digest = head digest: append it
  kAlreadyHeld,  // seq ≤ head: a resend (the caller compares digests to tell a fork)
  kGap,          // seq > head + 1: records are missing in between
  kBrokenChain,  // seq = head + 1 but prev_digest is not the head's digest
};
Link Classify(const ChainHead& head, const v1::Evidence& record);

// Parses the payload of an evidence envelope and checks the fields every record
// must have (ids as 64 hex digits, seq ≥ 1, a 32-byte prev_digest, a check_id,
// a collected_at within Timestamp's range).
Result<v1::Evidence> ParseEvidence(std::string_view payload);

// The record's collected_at in microseconds since the Unix epoch.
int64_t CollectedAtMicros(const v1::Evidence& record);

}  // namespace shoko::evidence

#endif  // SHOKO_EVIDENCE_CHAIN_H_
