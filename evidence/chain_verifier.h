// Verifies evidence envelopes the way an auditor must: every signature and
// every agent's chain, trusting only the public keys the auditor names
// (docs/evidence-format.md, "Verifying records"). A key introduced by a valid
// rotation record is trusted for its agent from the next seq on, and the key
// it replaces only up to the rotation.
#ifndef SHOKO_EVIDENCE_CHAIN_VERIFIER_H_
#define SHOKO_EVIDENCE_CHAIN_VERIFIER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/keys.h"
#include "shoko/v1/evidence.pb.h"

namespace shoko::evidence {

// The reasons docs/evidence-format.md, "Verifying records" gives, plus
// `duplicate`: the very same record twice.
enum class Problem {
  kBadSignature,
  kUnknownKey,
  kGap,
  kReordered,
  kFork,
  kBrokenChain,
  kDuplicate,
  kMalformed,
};
std::string_view ProblemName(Problem p);

struct Finding {
  Problem problem;
  // The record's seq; for a record that failed verification, the seq it
  // claims (read only after the check failed, for the report); absent when
  // unreadable.
  std::optional<uint64_t> seq;
  std::string detail;  // e.g. "seq 3-4 missing"; may be empty
};

// One input record: an envelope, or a line that could not be read as one.
struct VerifyInput {
  std::optional<v1::Envelope> envelope;
  std::string malformed;  // why, when there is no envelope
};

struct VerifyReport {
  std::vector<std::optional<Finding>> findings;  // one per input, in input order
  uint64_t valid = 0;
  size_t agents = 0;
};

// Verifies `inputs` (in the order they were written) against `trusted` keys.
// Each record gets at most one finding, the first that applies: malformed,
// unknown-key, bad-signature, duplicate, fork, reordered, broken-chain, gap.
// A gap is reported on the first record after the hole, unless every missing
// seq is claimed by a record that failed verification (already reported).
VerifyReport VerifyChains(const std::vector<VerifyInput>& inputs,
                          const std::vector<PublicKey>& trusted);

}  // namespace shoko::evidence

#endif  // SHOKO_EVIDENCE_CHAIN_VERIFIER_H_
