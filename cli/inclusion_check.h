// Whether each record a reader received is in the log: its leaf is the
// record's own (recomputed from the envelope and received time) and its
// inclusion proof leads to a checkpoint signed by the pinned log key
// (docs/interfaces.md, "Completeness").
#ifndef SHOKO_CLI_INCLUSION_CHECK_H_
#define SHOKO_CLI_INCLUSION_CHECK_H_

#include <chrono>
#include <cstdint>
#include <string>

#include "evidence/note.h"
#include "shoko/v1/audit.pb.h"

namespace shoko::cli {

// A record received this long before a checkpoint was signed and still not in
// it was left out, not merely not integrated yet: the same default bound an
// agent gives its own records as a witness.
inline constexpr std::chrono::minutes kInclusionBound{10};

class InclusionCheck {
 public:
  // Against `checkpoint`, opened with the pinned key, signed at `signed_at_us`.
  InclusionCheck(evidence::Checkpoint checkpoint, int64_t signed_at_us)
      : checkpoint_(std::move(checkpoint)), signed_at_us_(signed_at_us) {}

  enum class Outcome { kIncluded, kPending, kProblem };
  // Checks one record that verified (`record` is its payload); a problem is
  // set to "agent A seq S: what".
  Outcome Check(const v1::StoredEvidence& stored, const v1::Evidence& record, std::string* problem);

  const evidence::Checkpoint& checkpoint() const { return checkpoint_; }
  uint64_t included() const { return included_; }
  uint64_t pending() const { return pending_; }
  // "inclusion: N record(s) in the checkpoint of M leaves …; K not yet".
  std::string Summary() const;

 private:
  evidence::Checkpoint checkpoint_;
  int64_t signed_at_us_;
  uint64_t included_ = 0;
  uint64_t pending_ = 0;
};

// The word a record's inclusion gets in JSON output.
std::string_view InclusionName(InclusionCheck::Outcome outcome);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_INCLUSION_CHECK_H_
