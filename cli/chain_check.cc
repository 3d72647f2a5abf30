#include "cli/chain_check.h"

#include <set>

#include "evidence/chain.h"

namespace shoko::cli {

std::string ChainProblem::ToString() const {
  std::string seqs = std::to_string(first_seq);
  if (last_seq != first_seq) seqs += "-" + std::to_string(last_seq);
  return "agent " + agent_id + " seq " + seqs + ": " + what;
}

void ChainCheck::AddVerified(const v1::Evidence& record, const std::string& digest) {
  agents_[record.agent_id()][record.seq()].push_back({digest, record.prev_digest()});
}

void ChainCheck::AddRefused(const std::string& agent_id, uint64_t seq) {
  agents_[agent_id][seq].push_back({});
}

ChainCheck::Result ChainCheck::Check() const {
  Result result;
  for (const auto& [agent, chain] : agents_) {
    ChainRange range{agent, chain.rbegin()->first, 0, 0};
    auto problem = [&](uint64_t first, uint64_t last, std::string what) {
      result.problems.push_back({agent, first, last, std::move(what)});
      ++range.problems;
    };
    // The record before the one in hand: its seq, and its digest when it
    // verified alone at its seq. The chain starts from seq 0 and 32 zero bytes.
    evidence::ChainHead prev;
    bool prev_known = true;
    for (const auto& [seq, received] : chain) {
      range.records += received.size();
      if (seq > prev.seq + 1) problem(prev.seq + 1, seq - 1, "missing");
      std::set<std::string> digests;
      for (const Received& r : received) digests.insert(r.digest);
      if (received.size() > 1) {
        problem(seq, seq,
                digests.size() > 1
                    ? "fork: " + std::to_string(digests.size()) + " different records at this seq"
                    : "duplicate: the same record " + std::to_string(received.size()) + " times");
      }
      const Received& first = received.front();
      const bool known = digests.size() == 1 && !first.digest.empty();
      if (known && prev_known && seq == prev.seq + 1 && first.prev_digest != prev.digest) {
        problem(seq, seq,
                "broken link: prev_digest is not the digest of " +
                    (seq == 1 ? std::string("the chain's start (32 zero bytes)")
                              : "seq " + std::to_string(prev.seq)));
      }
      // A refused or forked record is no base to check the next link against.
      prev = evidence::ChainHead{seq, known ? first.digest : std::string()};
      prev_known = known;
    }
    result.ranges.push_back(range);
  }
  return result;
}

}  // namespace shoko::cli
