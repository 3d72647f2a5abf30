// Verifies evidence envelopes the way an auditor must: every signature and
// every agent's chain, trusting only the public keys the auditor names
// (docs/evidence-format.md, "Verifying records"). A key introduced by a valid
// rotation record is trusted for its agent from the next seq on, and the key
// it replaces only up to the rotation.
#ifndef SHOKO_EVIDENCE_CHAIN_VERIFIER_H_
#define SHOKO_EVIDENCE_CHAIN_VERIFIER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/keys.h"
#include "shoko/v1/evidence.pb.h"

namespace shoko::evidence {

// The reasons docs/evidence-format.md, "Verifying records" gives, plus
// `duplicate`: the very same record twice. The last six are what a reader
// proving completeness finds (docs/ledger.md, "Bundles").
enum class Problem {
  kBadSignature,
  kUnknownKey,
  kGap,
  kReordered,
  kFork,
  kBrokenChain,
  kDuplicate,
  kMalformed,
  kMissingRecord,           // a seq of a stated range that nothing holds
  kMissingRotation,         // a known agent's chain jumps to a key no rotation record hands over
  kBadProof,                // an inclusion proof that does not lead to the checkpoint's root
  kBadCheckpoint,           // a checkpoint (or a cosignature on it) whose signature fails
  kInconsistentCheckpoint,  // a checkpoint not shown to extend an earlier one
  kTooFewWitnesses,         // fewer valid cosignatures than required
};
std::string_view ProblemName(Problem p);

struct Finding {
  Problem problem;
  // The record's seq; for a record that failed verification, the seq it
  // claims (read only after the check failed, for the report); absent when
  // unreadable or when the problem is not a record's.
  std::optional<uint64_t> seq;
  std::string detail;  // e.g. "seq 3-4 missing"; may be empty
  // The agent the record claims to be from; empty when unreadable or when the
  // problem is not an agent's (a checkpoint's).
  std::string agent_id = {};
  // For a missing-record finding, the last seq of the run that `seq` starts.
  std::optional<uint64_t> last_seq = {};
};
// "agent 1a2b3c4d… seq 5: missing-record: DETAIL", leaving out what the
// finding does not have.
std::string DescribeFinding(const Finding& finding);

// Seqs first..last of an agent, both included.
struct SeqRange {
  uint64_t first = 1;
  uint64_t last = UINT64_MAX;
};

// A key an agent's chain was signed with, and the seqs it may sign: the first
// key from seq 1, each key a rotation record hands over from the seq after it.
struct KeyWindow {
  PublicKey key;
  uint64_t from_seq = 1;
  uint64_t until_seq = UINT64_MAX;  // the rotation record that ended it; UINT64_MAX while current
};

// One input record: an envelope, or a line that could not be read as one.
struct VerifyInput {
  std::optional<v1::Envelope> envelope;
  std::string malformed;  // why, when there is no envelope
};

struct VerifyReport {
  std::vector<std::optional<Finding>> findings;  // one per input, in input order
  // Records missing from a stated range (missing-record, with agent and the
  // first seq of each run of missing seqs): problems no input carries.
  std::vector<Finding> missing;
  uint64_t valid = 0;
  size_t agents = 0;
  // Per agent with a verified record, the keys its chain was signed with, in
  // order: the last is the agent's current key.
  std::map<std::string, std::vector<KeyWindow>> keys;
};

// Verifies `inputs` (in the order they were written) against `trusted` keys.
// Each record gets at most one finding, the first that applies: malformed,
// unknown-key or missing-rotation, bad-signature, duplicate, fork, reordered,
// broken-chain, gap. A record of an agent whose first key is trusted, signed
// by a key that no verified rotation record hands over, is missing-rotation,
// naming the seq the key starts at.
//
// Without a stated range an agent's chain is read from seq 1: a gap is
// reported on the first record after the hole, unless every missing seq is
// claimed by a record that failed verification (already reported). With a
// range in `ranges` (keyed by agent_id), every seq in it must be present:
// each run of absent seqs is one missing-record finding in `missing`, and
// holes outside the range are no problem (records outside it, a key-rotation
// record say, are still verified and linked to their neighbours).
VerifyReport VerifyChains(const std::vector<VerifyInput>& inputs,
                          const std::vector<PublicKey>& trusted,
                          const std::map<std::string, SeqRange>& ranges = {});

// A record whose signature its reader has already verified, as its agent's
// chain sees it; or, with no digest, the agent and seq a record that failed
// verification claims: it accounts for its seq, and links nothing.
struct ChainEntry {
  std::string agent_id;
  uint64_t seq = 0;
  std::string digest;  // its record digest; empty for a record that failed
  std::string prev_digest;
};

// The chain passes of VerifyChains alone, for records verified elsewhere
// (shokoctl evidence, with the keys the store supplies: docs/interfaces.md,
// "Completeness"). The entries may come in any order, so none is reordered;
// each verified one gets at most one finding (duplicate, fork, broken-chain,
// or gap outside `ranges`), a failed one none, and `ranges` are checked as
// VerifyChains checks them. `keys` stays empty.
VerifyReport VerifyLinks(const std::vector<ChainEntry>& entries,
                         const std::map<std::string, SeqRange>& ranges);

}  // namespace shoko::evidence

#endif  // SHOKO_EVIDENCE_CHAIN_VERIFIER_H_
