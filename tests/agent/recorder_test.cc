#include "agent/recorder.h"

#include <gtest/gtest.h>

#include "evidence/chain.h"
#include "evidence/encoding.h"
#include "evidence/envelope.h"
#include "tests/support/temp_dir.h"

namespace shoko::agent {
namespace {

using testing::TempDir;

CollectedCheck Check(const std::string& check_id, collectors::Verdict verdict,
                     const std::string& parent = "") {
  CollectedCheck c;
  c.collector = "access.sshd";
  c.observation.check_id = check_id;
  c.observation.verdict = verdict;
  c.observation.observation_check_id = parent;
  c.observation.facts = {{"n", 4}, {"s", "text"}, {"list", {1, 2}}};
  c.observation.message = "msg " + check_id;
  if (!parent.empty()) c.controls = {"ismap:8.2", "nist80053r5:AC-6(2)"};
  return c;
}

struct Recorded {
  v1::Envelope envelope;
  v1::Evidence evidence;
};

std::vector<Recorded> ReadBack(Outbox& outbox) {
  std::vector<Recorded> out;
  for (const OutboxRecord& r : *outbox.ReadAfter(0, 1000)) {
    Recorded rec;
    EXPECT_TRUE(rec.envelope.ParseFromString(r.envelope));
    auto ev = evidence::ParseEvidence(rec.envelope.payload());
    EXPECT_TRUE(ev.ok()) << ev.status().ToString();
    rec.evidence = *ev;
    EXPECT_EQ(evidence::RecordDigest(rec.envelope.payload()), r.digest);
    out.push_back(std::move(rec));
  }
  return out;
}

TEST(RecorderTest, SignsAndChainsEverySweep) {
  TempDir dir;
  auto key = evidence::SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  auto outbox = Outbox::Open(dir.Path("outbox.db"));
  ASSERT_TRUE(outbox.ok());
  RecordContext context;
  context.agent_id = key->public_key().KeyId();
  context.host.hostname = "h1";
  context.labels.set_service("svc");
  context.baseline_id = "shoko-default";
  context.catalog_version = "v-test";
  context.refresh_seconds = 3600;
  Recorder recorder(*key, context, outbox->get());

  std::vector<CollectedCheck> sweep = {
      Check("access.sshd", collectors::Verdict::kInfo),
      Check("access.sshd.permit_root_login", collectors::Verdict::kFail, "access.sshd")};
  ASSERT_EQ(*recorder.Record(sweep, 1'700'000'000'123'456), 2u);
  ASSERT_EQ(*recorder.Record(sweep, 1'700'000'060'000'000), 2u);

  auto records = ReadBack(**outbox);
  ASSERT_EQ(records.size(), 4u);
  evidence::ChainHead head;
  for (const Recorded& r : records) {
    EXPECT_TRUE(evidence::VerifyEvidenceEnvelope(r.envelope, key->public_key()).ok());
    EXPECT_EQ(evidence::Classify(head, r.evidence), evidence::Link::kNext) << r.evidence.seq();
    head.seq = r.evidence.seq();
    head.digest = evidence::RecordDigest(r.envelope.payload());
    EXPECT_EQ(r.evidence.agent_id(), context.agent_id);
    EXPECT_EQ(r.evidence.host().hostname(), "h1");
    EXPECT_EQ(r.evidence.labels().service(), "svc");
    EXPECT_EQ(r.evidence.catalog_version(), "v-test");
    EXPECT_EQ(r.evidence.refresh_seconds(), 3600u);
    EXPECT_EQ(r.evidence.kind(), v1::OBSERVATION);
    EXPECT_EQ(r.evidence.facts().fields().at("n").number_value(), 4);
  }
  EXPECT_EQ(records[0].evidence.seq(), 1u);
  EXPECT_EQ(records[0].evidence.collected_at().seconds(), 1'700'000'000);
  EXPECT_EQ(records[0].evidence.collected_at().nanos(), 123'456'000);
  EXPECT_EQ(records[1].evidence.verdict(), v1::FAIL);
  EXPECT_EQ(records[1].evidence.controls_size(), 2);
  // The rule record names the digest of the observation it judged.
  EXPECT_EQ(records[1].evidence.facts().fields().at("observation_digest").string_value(),
            evidence::HexEncode(evidence::RecordDigest(records[0].envelope.payload())));
  EXPECT_EQ(records[3].evidence.facts().fields().at("observation_digest").string_value(),
            evidence::HexEncode(evidence::RecordDigest(records[2].envelope.payload())));
  EXPECT_EQ((*outbox)->Head().seq, 4u);
}

TEST(RecorderTest, JsonBecomesStruct) {
  google::protobuf::Struct s;
  JsonToStruct({{"a", nullptr}, {"b", true}, {"c", {{"d", "e"}}}, {"f", {1.5, "x"}}}, &s);
  EXPECT_EQ(s.fields().at("a").kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_TRUE(s.fields().at("b").bool_value());
  EXPECT_EQ(s.fields().at("c").struct_value().fields().at("d").string_value(), "e");
  EXPECT_EQ(s.fields().at("f").list_value().values(0).number_value(), 1.5);
  EXPECT_EQ(s.fields().at("f").list_value().values(1).string_value(), "x");
}

}  // namespace
}  // namespace shoko::agent
