#include "evidence/chain.h"

#include <gtest/gtest.h>

namespace shoko::evidence {
namespace {

v1::Evidence Valid() {
  v1::Evidence ev;
  ev.set_agent_id(std::string(64, 'a'));
  ev.set_key_id(std::string(64, 'b'));
  ev.set_seq(1);
  ev.set_prev_digest(std::string(32, '\0'));
  ev.set_check_id("access.sshd");
  ev.mutable_collected_at()->set_seconds(1'700'000'000);
  return ev;
}

TEST(ChainTest, ClassifiesEveryLink) {
  ChainHead head{2, std::string(32, 'h')};
  v1::Evidence ev = Valid();
  ev.set_seq(3);
  ev.set_prev_digest(head.digest);
  EXPECT_EQ(Classify(head, ev), Link::kNext);
  ev.set_prev_digest(std::string(32, 'x'));
  EXPECT_EQ(Classify(head, ev), Link::kBrokenChain);
  ev.set_seq(2);
  EXPECT_EQ(Classify(head, ev), Link::kAlreadyHeld);
  ev.set_seq(5);
  EXPECT_EQ(Classify(head, ev), Link::kGap);
  EXPECT_EQ(Classify(ChainHead(), Valid()), Link::kNext);
}

TEST(ChainTest, ParseEvidenceChecksRequiredFields) {
  EXPECT_TRUE(ParseEvidence(Valid().SerializeAsString()).ok());
  EXPECT_FALSE(ParseEvidence("\xff\xff garbage").ok());
  auto mutate = [](auto change) {
    v1::Evidence ev = Valid();
    change(ev);
    return ParseEvidence(ev.SerializeAsString()).status().message();
  };
  EXPECT_EQ(mutate([](v1::Evidence& e) { e.set_agent_id("A" + std::string(63, 'a')); }),
            "agent_id is not 64 lowercase hex digits");
  EXPECT_EQ(mutate([](v1::Evidence& e) { e.set_key_id("short"); }),
            "key_id is not 64 lowercase hex digits");
  EXPECT_EQ(mutate([](v1::Evidence& e) { e.set_seq(0); }), "seq must start at 1");
  EXPECT_EQ(mutate([](v1::Evidence& e) { e.set_prev_digest("x"); }),
            "prev_digest must be 32 bytes");
  EXPECT_EQ(mutate([](v1::Evidence& e) { e.clear_check_id(); }), "check_id is empty");
  EXPECT_EQ(mutate([](v1::Evidence& e) { e.mutable_collected_at()->set_seconds(INT64_MAX); }),
            "collected_at is outside the years 1 to 9999");
  EXPECT_EQ(mutate([](v1::Evidence& e) { e.mutable_collected_at()->set_nanos(-1); }),
            "collected_at is outside the years 1 to 9999");
}

TEST(ChainTest, RecordDigestIsSha256OfThePayload) {
  EXPECT_EQ(RecordDigest("abc").size(), 32u);
  EXPECT_NE(RecordDigest("abc"), RecordDigest("abd"));
}

}  // namespace
}  // namespace shoko::evidence
