// What the store's log records of each accepted record: the leaf input of
// docs/ledger.md, "Leaf input" — exactly the ASCII "shoko-leaf-v1" and a
// newline, then agent_id (32 bytes), seq (8 bytes, big-endian), the record
// digest (32 bytes), SHA-256 of the signature bytes (32 bytes) and the store's
// received time (8 bytes, big-endian microseconds since the Unix epoch): 126
// bytes in all.
#ifndef SHOKO_EVIDENCE_LOG_LEAF_H_
#define SHOKO_EVIDENCE_LOG_LEAF_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "platform/status.h"
#include "shoko/v1/evidence.pb.h"

namespace shoko::evidence {

inline constexpr size_t kLeafInputBytes = 126;

// The values a leaf input is made of.
struct LogLeafFields {
  std::string agent_id;  // 64 lowercase hex digits
  uint64_t seq = 0;
  std::string record_digest;     // 32 raw bytes
  std::string signature_digest;  // 32 raw bytes
  int64_t received_at_us = 0;
};

// The leaf input bytes (kLeafInputBytes of them); InvalidArgument naming the
// field when the agent_id is not 64 lowercase hex digits or a digest is not 32
// bytes.
Result<std::string> LeafInput(const LogLeafFields& leaf);
// SHA-256 of the envelope's one signature's bytes (of its first, should it
// have several; of nothing when it has none: the store accepts neither).
std::string SignatureDigest(const v1::Envelope& envelope);
// The fields of an evidence envelope's leaf, read from its payload
// (ParseEvidence's refusals) and the store's received time. The signature is
// not checked here.
Result<LogLeafFields> LeafFieldsOf(const v1::Envelope& envelope, int64_t received_at_us);

}  // namespace shoko::evidence

#endif  // SHOKO_EVIDENCE_LOG_LEAF_H_
