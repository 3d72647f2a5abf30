// The DSSE JSON form as a JSON value, for documents that embed envelopes (a
// bundle's records and rotations) and for ToDsseJson/FromDsseJson, which
// write and read it as one line. Internal to evidence/: it exposes nlohmann.
#ifndef SHOKO_EVIDENCE_DSSE_JSON_H_
#define SHOKO_EVIDENCE_DSSE_JSON_H_

#include <nlohmann/json.hpp>

#include "platform/status.h"
#include "shoko/v1/evidence.pb.h"

namespace shoko::evidence {

// {"payload", "payloadType", "signatures": [{"keyid", "sig"}]}, standard base64.
nlohmann::ordered_json DsseToJson(const v1::Envelope& envelope);
// The envelope in `json`; InvalidArgument naming the field that is missing or
// wrong. Either base64 alphabet is accepted, as DSSE readers must.
Result<v1::Envelope> DsseFromJson(const nlohmann::json& json);

}  // namespace shoko::evidence

#endif  // SHOKO_EVIDENCE_DSSE_JSON_H_
