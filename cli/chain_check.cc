#include "cli/chain_check.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace shoko::cli {
namespace {

// A finding's words on the line: docs/interfaces.md, "Completeness" calls a
// broken-chain a broken link; the other reasons keep the verifier's names.
std::string What(const evidence::Finding& finding) {
  std::string what = finding.problem == evidence::Problem::kBrokenChain
                         ? "broken link"
                         : std::string(evidence::ProblemName(finding.problem));
  return finding.detail.empty() ? what : what + ": " + finding.detail;
}

}  // namespace

std::string ChainProblem::ToString() const {
  std::string seqs = std::to_string(first_seq);
  if (last_seq != first_seq) seqs += "-" + std::to_string(last_seq);
  return "agent " + agent_id + " seq " + seqs + ": " + what;
}

void ChainCheck::AddVerified(const v1::Evidence& record, const std::string& digest) {
  received_.push_back({record.agent_id(), record.seq(), digest, record.prev_digest()});
}

void ChainCheck::AddRefused(const std::string& agent_id, uint64_t seq) {
  received_.push_back({agent_id, seq, {}, {}});
}

ChainCheck::Result ChainCheck::Check() const {
  std::map<std::string, ChainRange> ranges;
  std::map<std::string, evidence::SeqRange> stated;
  for (const evidence::ChainEntry& entry : received_) {
    ChainRange& range = ranges[entry.agent_id];
    range.agent_id = entry.agent_id;
    range.last_seq = std::max(range.last_seq, entry.seq);
    ++range.records;
    stated[entry.agent_id] = evidence::SeqRange{1, range.last_seq};
  }
  const evidence::VerifyReport report = evidence::VerifyLinks(received_, stated);
  Result result;
  auto problem = [&](const std::string& agent, uint64_t first, uint64_t last, std::string what) {
    result.problems.push_back({agent, first, last, std::move(what)});
    ++ranges[agent].problems;
  };
  for (size_t i = 0; i < received_.size(); ++i) {
    if (!report.findings[i]) continue;
    problem(received_[i].agent_id, received_[i].seq, received_[i].seq, What(*report.findings[i]));
  }
  for (const evidence::Finding& missing : report.missing) {
    problem(missing.agent_id, *missing.seq, missing.last_seq.value_or(*missing.seq), "missing");
  }
  std::stable_sort(result.problems.begin(), result.problems.end(),
                   [](const ChainProblem& a, const ChainProblem& b) {
                     return std::tie(a.agent_id, a.first_seq) < std::tie(b.agent_id, b.first_seq);
                   });
  for (auto& [agent, range] : ranges) result.ranges.push_back(range);
  return result;
}

}  // namespace shoko::cli
