// Whether the records a reader received are each agent's whole chain over the
// range it asked for (docs/interfaces.md, "Completeness"): every seq from 1
// to the last received is present, once, and each record's prev_digest is
// the digest of the record before it. A store that leaves a record out of a
// listing cannot hide the hole: the next record names its digest. The rule is
// evidence's (evidence::VerifyLinks); this states the range and words the
// lines.
#ifndef SHOKO_CLI_CHAIN_CHECK_H_
#define SHOKO_CLI_CHAIN_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "evidence/chain_verifier.h"
#include "shoko/v1/evidence.pb.h"

namespace shoko::cli {

// One thing wrong with an agent's chain, over the seqs first..last.
struct ChainProblem {
  std::string agent_id;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  std::string what;  // "missing", "broken link: …", "fork: …", "duplicate"

  // "agent AGENT_ID seq S[-T]: WHAT".
  std::string ToString() const;
};

// What a reader received of one agent's chain.
struct ChainRange {
  std::string agent_id;
  uint64_t last_seq = 0;  // the range is seq 1 to last_seq
  uint64_t records = 0;   // records received in it
  uint64_t problems = 0;  // ChainProblems about it
};

// Collects the records of a listing, in any order, then checks each agent's
// chain from seq 1 to the last seq received.
class ChainCheck {
 public:
  // A record that verified: its payload and its record digest.
  void AddVerified(const v1::Evidence& record, const std::string& digest);
  // A record that failed verification but claims (agent, seq): its seq is
  // accounted for (the failure is reported with the record), not missing.
  void AddRefused(const std::string& agent_id, uint64_t seq);

  struct Result {
    std::vector<ChainRange> ranges;  // by agent_id
    std::vector<ChainProblem> problems;
  };
  Result Check() const;

 private:
  std::vector<evidence::ChainEntry> received_;
};

}  // namespace shoko::cli

#endif  // SHOKO_CLI_CHAIN_CHECK_H_
