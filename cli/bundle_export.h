// What `shokoctl export --format bundle` builds from the store's listing
// (docs/interfaces.md, "Exports"): the records one checkpoint holds, each
// with its received time, leaf index and inclusion proof, and per agent its
// keys, all its key-rotation records and the range of seqs the bundle
// states it holds whole.
#ifndef SHOKO_CLI_BUNDLE_EXPORT_H_
#define SHOKO_CLI_BUNDLE_EXPORT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "evidence/bundle.h"
#include "evidence/chain_verifier.h"
#include "platform/status.h"
#include "shoko/v1/audit.pb.h"

namespace shoko::cli {

// Per agent, the seqs a bundle is to hold.
using AgentRanges = std::map<std::string, evidence::SeqRange>;

// Collects listed records into a bundle proven against one checkpoint.
class BundleBuilder {
 public:
  // The proofs the records come with are against `checkpoint_note` (the note
  // as the store serves it, with its cosignatures).
  explicit BundleBuilder(std::string checkpoint_note) {
    bundle_.checkpoint = std::move(checkpoint_note);
  }

  // Only these agents, over these ranges; without it, every agent listed,
  // from seq 1 on.
  void Restrict(AgentRanges ranges) { ranges_ = std::move(ranges); }

  // One listed record (ListEvidence with proof_tree_size): added when the
  // checkpoint holds it and it is in its agent's range; counted as received
  // after the checkpoint when the checkpoint does not hold it yet.
  void Add(const v1::StoredEvidence& stored);

  // Records received after the checkpoint, left out.
  uint64_t left_out() const { return left_out_; }
  uint64_t records() const { return bundle_.records.size(); }

  // The bundle: each agent's range runs from seq 1 (or its restricted
  // start) to its last record added. `holes` gets one line per run of seqs
  // in a range that the store did not list: such a bundle does not verify
  // whole, and says so.
  // Corruption when the store sent no first key for an agent.
  Result<evidence::Bundle> Finish(std::vector<std::string>* holes);

 private:
  // What the listing said of one agent.
  struct Listed {
    std::string first_public_key;  // raw; the key whose id is the agent_id
    std::vector<v1::Envelope> rotations;
    std::vector<uint64_t> seqs;  // of the records added
  };
  static Result<evidence::BundleAgent> AgentOf(const std::string& agent_id, const Listed& listed,
                                               uint64_t first_seq);

  evidence::Bundle bundle_;
  std::optional<AgentRanges> ranges_;
  std::map<std::string, Listed> agents_;
  uint64_t left_out_ = 0;
};

}  // namespace shoko::cli

#endif  // SHOKO_CLI_BUNDLE_EXPORT_H_
