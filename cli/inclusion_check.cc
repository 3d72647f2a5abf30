#include "cli/inclusion_check.h"

#include "cli/chain_check.h"
#include "cli/log_client.h"
#include "evidence/log_leaf.h"
#include "platform/time_format.h"

namespace shoko::cli {

InclusionCheck::Outcome InclusionCheck::Check(const v1::StoredEvidence& stored,
                                              const v1::Evidence& record, std::string* problem) {
  auto fail = [&](std::string what) {
    *problem =
        ChainProblem{record.agent_id(), record.seq(), record.seq(), std::move(what)}.ToString();
    return Outcome::kProblem;
  };
  const std::string size = std::to_string(checkpoint_.tree_size) + " leaves";
  if (stored.leaf().agent_id().empty()) {
    const int64_t bound_us = std::chrono::microseconds(kInclusionBound).count();
    if (stored.received_at_us() + bound_us < signed_at_us_) {
      return fail("not included in the checkpoint of " + size + ", signed " +
                  platform::FormatRfc3339(signed_at_us_) + ", though received at " +
                  platform::FormatRfc3339(stored.received_at_us()));
    }
    ++pending_;
    return Outcome::kPending;
  }
  // The leaf must be this record's: recomputed here, not taken from the store.
  auto own = evidence::LeafFieldsOf(stored.envelope(), stored.received_at_us());
  const v1::LogLeaf& leaf = stored.leaf();
  if (!own.ok() || own->agent_id != leaf.agent_id() || own->seq != leaf.seq() ||
      own->record_digest != leaf.record_digest() ||
      own->signature_digest != leaf.signature_digest() ||
      own->received_at_us != leaf.received_at_us()) {
    return fail("the log's leaf " + std::to_string(leaf.leaf_index()) + " is not this record");
  }
  Status included = VerifyServedInclusion(leaf, Hashes(stored.inclusion_proof()), checkpoint_);
  if (!included.ok()) return fail(included.message());
  ++included_;
  return Outcome::kIncluded;
}

std::string InclusionCheck::Summary() const {
  std::string s = "inclusion: " + std::to_string(included_) +
                  " record(s) proven in the checkpoint of " +
                  std::to_string(checkpoint_.tree_size) + " leaves signed by the pinned key (" +
                  checkpoint_.origin + ", " + platform::FormatRfc3339(signed_at_us_) + ")";
  if (pending_ > 0) {
    s += "; " + std::to_string(pending_) +
         " received since, not yet in a checkpoint: run again later to check them";
  }
  return s;
}

std::string_view InclusionName(InclusionCheck::Outcome outcome) {
  switch (outcome) {
    case InclusionCheck::Outcome::kIncluded:
      return "proven";
    case InclusionCheck::Outcome::kPending:
      return "pending";
    case InclusionCheck::Outcome::kProblem:
      return "failed";
  }
  return "failed";
}

}  // namespace shoko::cli
