// DSSE envelopes around evidence records (docs/evidence-format.md, "The DSSE envelope").
//
// The signature is Ed25519 over the DSSE pre-authentication encoding
//   "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
// with LEN the ASCII decimal byte count, so the payload type is signed too.
#ifndef SHOKO_EVIDENCE_ENVELOPE_H_
#define SHOKO_EVIDENCE_ENVELOPE_H_

#include <map>
#include <string>
#include <string_view>

#include "evidence/keys.h"
#include "platform/status.h"
#include "shoko/v1/evidence.pb.h"

namespace shoko::evidence {

inline constexpr std::string_view kEvidencePayloadType =
    "application/vnd.shoko.evidence.v1+protobuf";
// What an agent signs with its evidence key at enrollment: DSSE PAE of this
// type and the body token "\n" csr_pem, proving it holds the key it registers.
inline constexpr std::string_view kEnrollmentProofType = "application/vnd.shoko.enrollment.v1";

// The DSSE pre-authentication encoding of (type, body).
std::string Pae(std::string_view payload_type, std::string_view payload);

// An envelope with `payload` signed by `key`; keyid is the key's key_id.
Result<v1::Envelope> Sign(const SigningKey& key, std::string payload,
                          std::string_view payload_type = kEvidencePayloadType);

// DSSE verification: OK when at least `threshold` distinct trusted keys (keyed by
// keyid) have a valid signature in `envelope`. Signatures under unknown keyids
// are ignored, as DSSE says; a key counts once however often it signed.
Status VerifyDsse(const v1::Envelope& envelope, const std::map<std::string, PublicKey>& trusted,
                  size_t threshold = 1);

// shoko's rule for evidence: exactly one signature, by `key`, over an
// evidence-typed payload. Checks the signature before anything reads the payload.
Status VerifyEvidenceEnvelope(const v1::Envelope& envelope, const PublicKey& key);

// The DSSE JSON form: {"payload", "payloadType", "signatures": [{"keyid", "sig"}]},
// one line, standard base64.
std::string ToDsseJson(const v1::Envelope& envelope);
// Parses the DSSE JSON form, accepting either base64 alphabet.
Result<v1::Envelope> FromDsseJson(std::string_view json);

}  // namespace shoko::evidence

#endif  // SHOKO_EVIDENCE_ENVELOPE_H_
