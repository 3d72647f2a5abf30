#include "evidence/log_leaf.h"

#include "evidence/chain.h"
#include "platform/digest.h"

namespace shoko::evidence {
namespace {

constexpr std::string_view kLeafPrefix = "shoko-leaf-v1\n";

void AppendBigEndian(uint64_t value, std::string& out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

}  // namespace

Result<std::string> LeafInput(const LogLeafFields& leaf) {
  if (!platform::IsHexSha256(leaf.agent_id)) {
    return Status::InvalidArgument("leaf agent_id is not 64 lowercase hex digits");
  }
  if (leaf.record_digest.size() != kDigestBytes) {
    return Status::InvalidArgument("leaf record_digest is " +
                                   std::to_string(leaf.record_digest.size()) + " bytes, not 32");
  }
  if (leaf.signature_digest.size() != kDigestBytes) {
    return Status::InvalidArgument("leaf signature_digest is " +
                                   std::to_string(leaf.signature_digest.size()) + " bytes, not 32");
  }
  std::string out;
  out.reserve(kLeafInputBytes);
  out.append(kLeafPrefix);
  out.append(*platform::HexDecode(leaf.agent_id));
  AppendBigEndian(leaf.seq, out);
  out.append(leaf.record_digest);
  out.append(leaf.signature_digest);
  AppendBigEndian(static_cast<uint64_t>(leaf.received_at_us), out);
  return out;
}

std::string SignatureDigest(const v1::Envelope& envelope) {
  return platform::Sha256(envelope.signatures_size() > 0 ? envelope.signatures(0).sig() : "");
}

Result<LogLeafFields> LeafFieldsOf(const v1::Envelope& envelope, int64_t received_at_us) {
  SHOKO_ASSIGN_OR_RETURN(v1::Evidence record, ParseEvidence(envelope.payload()));
  LogLeafFields leaf;
  leaf.agent_id = record.agent_id();
  leaf.seq = record.seq();
  leaf.record_digest = RecordDigest(envelope.payload());
  leaf.signature_digest = SignatureDigest(envelope);
  leaf.received_at_us = received_at_us;
  return leaf;
}

}  // namespace shoko::evidence
