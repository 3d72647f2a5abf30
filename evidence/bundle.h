// Bundles: what the store exports for an auditor to verify offline, given
// only the log's public key (docs/ledger.md, "Bundles"). One JSON document:
//
//   {"format": "shoko-bundle/v1",
//    "checkpoint": NOTE_TEXT (the log's signed note, with cosignature lines),
//    "agents": [{"agent_id", "keys": [{"key_id", "public_key", "from_seq"}],
//                "rotations": [DSSE JSON of the agent's key-rotation records],
//                "first_seq", "last_seq"}],
//    "records": [{"envelope": DSSE JSON, "received_at_us", "leaf_index",
//                 "inclusion_proof": [BASE64 hash, ...]}],
//    "consistency": [{"from_size", "proof": [BASE64 hash, ...]}]}
//
// first_seq..last_seq is the range of seqs the bundle states it holds, whole,
// for that agent; "consistency" is optional.
#ifndef SHOKO_EVIDENCE_BUNDLE_H_
#define SHOKO_EVIDENCE_BUNDLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/chain_verifier.h"
#include "evidence/note.h"
#include "platform/status.h"
#include "shoko/v1/evidence.pb.h"

namespace shoko::evidence {

inline constexpr std::string_view kBundleFormat = "shoko-bundle/v1";

// One of an agent's evidence keys, as the bundle lists it.
struct BundleKey {
  std::string key_id;      // 64 lowercase hex digits: SHA-256 of public_key
  std::string public_key;  // 32 raw bytes
  uint64_t from_seq = 1;   // the first seq it signs
};

// An agent whose records the bundle carries, and the range it covers.
struct BundleAgent {
  std::string agent_id;
  std::vector<BundleKey> keys;          // the first key (id = agent_id) first
  std::vector<v1::Envelope> rotations;  // its key-rotation records, in seq order
  uint64_t first_seq = 1;
  uint64_t last_seq = 0;
};

// One record with what recomputes and proves its leaf.
struct BundleRecord {
  v1::Envelope envelope;
  int64_t received_at_us = 0;
  uint64_t leaf_index = 0;
  std::vector<std::string> inclusion_proof;  // 32-byte hashes, in the checkpoint's tree
};

// A consistency proof from an earlier tree size to the checkpoint's.
struct BundleConsistency {
  uint64_t from_size = 0;
  std::vector<std::string> proof;
};

struct Bundle {
  std::string checkpoint;  // the signed note, verbatim
  std::vector<BundleAgent> agents;
  std::vector<BundleRecord> records;
  std::vector<BundleConsistency> consistency;
};

// An agent's entry, made the way an exporter must from what the store holds:
// the agent's first public key (its id is the agent_id), every key-rotation
// record of the agent (in any order; also those outside `range`, so that a
// range starting after a rotation verifies), and the range the export states
// it holds whole. `keys` is the first key from seq 1, then each key a
// rotation hands over, from the seq after it. InvalidArgument naming the
// rotation record (by its index in `rotations`) that is not one of this
// agent's key-rotation records, or a range that is not 1 <= first <= last.
// Signatures are not checked here: VerifyBundle does.
Result<BundleAgent> MakeBundleAgent(const PublicKey& first_key, std::vector<v1::Envelope> rotations,
                                    SeqRange range);

// The bundle as one JSON document (and a newline).
std::string EncodeBundle(const Bundle& bundle);
// Reads a bundle strictly: the format string, every field of the right type
// and shape, no unknown or repeated keys, ids as 64 lowercase hex digits,
// each key_id the SHA-256 of its public_key, ranges with 1 <= first <= last.
// InvalidArgument naming the JSON path, e.g.
// "records[3].inclusion_proof[2]: not 32 bytes of base64". Signatures,
// chains and proofs are VerifyBundle's.
Result<Bundle> DecodeBundle(std::string_view json);

// What an auditor brings: `BundleVerifyOptions options{log_key};`, then the rest.
struct BundleVerifyOptions {
  NoteVerifier log_key;  // the log key the auditor pinned
  // The checkpoint's origin; the log key's name if absent.
  std::optional<std::string> origin = std::nullopt;
  // An earlier checkpoint (its note text) the auditor kept.
  std::optional<std::string> previous = std::nullopt;
  size_t witnesses = 0;  // valid cosignatures required from the bundle's agents
};

struct BundleReport {
  // One per problem, naming agent and seq where there are any; a record's
  // detail starts with where it is ("records[3]: ...").
  std::vector<Finding> findings;
  std::optional<Checkpoint> checkpoint;  // when it opened with the log key
  size_t records = 0;
  size_t valid_records = 0;  // records with no finding of their own
  size_t agents = 0;
  size_t witnesses = 0;  // agents of the bundle with a valid cosignature
  bool ok() const { return findings.empty(); }
};

// Verifies a bundle offline. Trusts only the pinned log key and each agent's
// first key (the one whose id is its agent_id); later keys only as the
// agent's rotation records hand them over. Checks every envelope's signature
// and every chain, gap-free and linked over its stated range (missing-record
// for each absent run); each leaf, recomputed from the envelope and received
// time, against its inclusion proof and the checkpoint; the checkpoint's
// signature and origin; consistency with `previous` (which needs a matching
// "consistency" entry); and at least `witnesses` valid cosignatures by the
// bundle's agents, each under AgentCosignerName with its current key.
BundleReport VerifyBundle(const Bundle& bundle, const BundleVerifyOptions& options);

}  // namespace shoko::evidence

#endif  // SHOKO_EVIDENCE_BUNDLE_H_
