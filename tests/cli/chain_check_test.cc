#include "cli/chain_check.h"

#include <gtest/gtest.h>

#include "evidence/chain.h"

namespace shoko::cli {
namespace {

const std::string kAgent(64, 'a');
const std::string kOther(64, 'b');

// A chain of `n` records of `agent`, each linked to the one before.
std::vector<std::pair<v1::Evidence, std::string>> Chain(const std::string& agent, uint64_t n) {
  std::vector<std::pair<v1::Evidence, std::string>> chain;
  std::string prev(evidence::kDigestBytes, '\0');
  for (uint64_t seq = 1; seq <= n; ++seq) {
    v1::Evidence ev;
    ev.set_agent_id(agent);
    ev.set_seq(seq);
    ev.set_prev_digest(prev);
    ev.set_check_id("c" + std::to_string(seq));
    std::string digest = evidence::RecordDigest(ev.SerializeAsString());
    chain.emplace_back(ev, digest);
    prev = digest;
  }
  return chain;
}

std::vector<std::string> Problems(const ChainCheck& check) {
  std::vector<std::string> lines;
  for (const ChainProblem& p : check.Check().problems) lines.push_back(p.ToString());
  return lines;
}

TEST(ChainCheckTest, AWholeChainInAnyOrderHasNoProblems) {
  ChainCheck check;
  auto a = Chain(kAgent, 5);
  auto b = Chain(kOther, 2);
  for (size_t i = a.size(); i-- > 0;) check.AddVerified(a[i].first, a[i].second);
  for (const auto& [ev, digest] : b) check.AddVerified(ev, digest);
  ChainCheck::Result result = check.Check();
  EXPECT_TRUE(result.problems.empty());
  ASSERT_EQ(result.ranges.size(), 2u);
  EXPECT_EQ(result.ranges[0].agent_id, kAgent);
  EXPECT_EQ(result.ranges[0].last_seq, 5u);
  EXPECT_EQ(result.ranges[0].records, 5u);
  EXPECT_EQ(result.ranges[1].last_seq, 2u);
}

TEST(ChainCheckTest, MissingRecordsAreNamedByAgentAndSeq) {
  ChainCheck check;
  auto a = Chain(kAgent, 9);
  for (uint64_t seq : {3, 4, 6, 7, 9}) check.AddVerified(a[seq - 1].first, a[seq - 1].second);
  EXPECT_EQ(Problems(check), (std::vector<std::string>{"agent " + kAgent + " seq 1-2: missing",
                                                       "agent " + kAgent + " seq 5: missing",
                                                       "agent " + kAgent + " seq 8: missing"}));
  EXPECT_EQ(check.Check().ranges[0].problems, 3u);
}

TEST(ChainCheckTest, ARecordThatDoesNotNameItsPredecessorBreaksTheLink) {
  ChainCheck check;
  auto a = Chain(kAgent, 3);
  a[2].first.set_prev_digest(std::string(32, 'x'));
  a[0].first.set_prev_digest(std::string(32, 'y'));
  for (const auto& [ev, digest] : a) check.AddVerified(ev, digest);
  EXPECT_EQ(
      Problems(check),
      (std::vector<std::string>{
          "agent " + kAgent +
              " seq 1: broken link: prev_digest is not the digest of the chain's start (32 "
              "zero bytes)",
          "agent " + kAgent + " seq 3: broken link: prev_digest is not the digest of seq 2"}));
}

TEST(ChainCheckTest, TwoRecordsAtOneSeqAreAForkAndTheSameOneTwiceADuplicate) {
  ChainCheck check;
  auto a = Chain(kAgent, 3);
  auto other = a[1].first;
  other.set_check_id("another");
  for (const auto& [ev, digest] : a) check.AddVerified(ev, digest);
  check.AddVerified(other, evidence::RecordDigest(other.SerializeAsString()));
  check.AddVerified(a[2].first, a[2].second);
  EXPECT_EQ(Problems(check),
            (std::vector<std::string>{
                "agent " + kAgent + " seq 2: fork: another record at this seq was seen before",
                "agent " + kAgent + " seq 3: duplicate"}));
}

TEST(ChainCheckTest, ARefusedRecordAccountsForItsSeqButLinksNothing) {
  ChainCheck check;
  auto a = Chain(kAgent, 6);
  check.AddVerified(a[0].first, a[0].second);
  check.AddRefused(kAgent, 2);
  // seq 3 cannot be checked against a record that did not verify.
  a[2].first.set_prev_digest(std::string(32, 'z'));
  check.AddVerified(a[2].first, a[2].second);
  check.AddVerified(a[5].first, a[5].second);
  EXPECT_EQ(Problems(check), (std::vector<std::string>{"agent " + kAgent + " seq 4-5: missing"}));
}

}  // namespace
}  // namespace shoko::cli
