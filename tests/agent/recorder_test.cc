#include "agent/recorder.h"

#include <gtest/gtest.h>

#include "evidence/chain.h"
#include "evidence/chain_verifier.h"
#include "evidence/encoding.h"
#include "evidence/envelope.h"
#include "tests/support/temp_dir.h"

namespace shoko::agent {
namespace {

using testing::TempDir;

constexpr int64_t kT0 = 1'700'000'000'000'000;  // microseconds
constexpr int64_t kMinute = 60'000'000;

CollectedCheck Check(const std::string& check_id, collectors::Verdict verdict,
                     const std::string& parent = "", int n = 4) {
  CollectedCheck c;
  c.collector = "access.sshd";
  c.observation.check_id = check_id;
  c.observation.verdict = verdict;
  c.observation.observation_check_id = parent;
  c.observation.facts = {{"n", n}, {"s", "text"}, {"list", {1, 2}}};
  c.observation.message = "msg " + check_id;
  if (!parent.empty()) c.controls = {"ismap:8.2", "nist80053r5:AC-6(2)"};
  return c;
}

std::vector<CollectedCheck> Sweep(int n = 4,
                                  collectors::Verdict rule = collectors::Verdict::kFail) {
  return {Check("access.sshd", collectors::Verdict::kInfo, "", n),
          Check("access.sshd.permit_root_login", rule, "access.sshd", n)};
}

struct Recorded {
  v1::Envelope envelope;
  v1::Evidence evidence;
};

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen({}); }

  void Reopen(OutboxLimits limits) {
    recorder_.reset();
    outbox_.reset();
    auto outbox = Outbox::Open(dir_.path(), key_.public_key().KeyId(), limits);
    ASSERT_TRUE(outbox.ok()) << outbox.status().ToString();
    outbox_ = std::move(outbox).value();
    RecordContext context;
    context.agent_id = key_.public_key().KeyId();
    context.host.hostname = "h1";
    context.labels.set_service("svc");
    context.baseline_id = "shoko-default";
    context.catalog_version = "v-test";
    context.refresh_seconds = 3600;
    context.mapping = &controls::Mapping::BuiltIn();
    recorder_ = std::make_unique<Recorder>(context, outbox_.get());
  }

  std::vector<Recorded> All() {
    std::vector<Recorded> out;
    for (const OutboxRecord& r : *outbox_->ReadAfter(0, 100000)) {
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

  std::vector<std::string> CheckIds() {
    std::vector<std::string> ids;
    for (const Recorded& r : All()) ids.push_back(r.evidence.check_id());
    return ids;
  }

  // Every record in the outbox verifies as one chain under the first key.
  void ExpectChainVerifies() {
    std::vector<evidence::VerifyInput> inputs;
    for (const Recorded& r : All()) inputs.push_back({r.envelope, ""});
    auto report = evidence::VerifyChains(inputs, {key_.public_key()});
    for (size_t i = 0; i < report.findings.size(); ++i) {
      EXPECT_FALSE(report.findings[i])
          << "record " << i << ": " << evidence::ProblemName(report.findings[i]->problem) << " "
          << report.findings[i]->detail;
    }
  }

  TempDir dir_;
  evidence::SigningKey key_ = *evidence::SigningKey::Generate();
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<Recorder> recorder_;
};

TEST_F(RecorderTest, FirstSweepRecordsEveryCheckAndHealth) {
  auto stats = recorder_->RecordSweep(Sweep(), key_, kT0 + 123'456);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->recorded, 3u);
  auto records = All();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(CheckIds(), (std::vector<std::string>{"access.sshd", "access.sshd.permit_root_login",
                                                  "agent.health"}));
  const v1::Evidence& rule = records[1].evidence;
  EXPECT_EQ(rule.seq(), 2u);
  EXPECT_EQ(rule.verdict(), v1::FAIL);
  EXPECT_EQ(rule.controls_size(), 2);
  EXPECT_EQ(rule.host().hostname(), "h1");
  EXPECT_EQ(rule.labels().service(), "svc");
  EXPECT_EQ(rule.collected_at().nanos(), 123'456'000);
  EXPECT_EQ(rule.facts().fields().at("observation_digest").string_value(),
            platform::HexEncode(evidence::RecordDigest(records[0].envelope.payload())));
  const v1::Evidence& health = records[2].evidence;
  EXPECT_EQ(health.verdict(), v1::PASS);
  ASSERT_GT(health.controls_size(), 0);  // the agent's own health is evidence too
  EXPECT_EQ(health.controls(0), "ismap:8.16");
  EXPECT_EQ(health.facts()
                .fields()
                .at("gauges")
                .struct_value()
                .fields()
                .at("outbox_records")
                .number_value(),
            0);  // counted before this sweep's records
  ExpectChainVerifies();
}

TEST_F(RecorderTest, RecordsOnlyWhatChangedOrIsDueForRefresh) {
  ASSERT_TRUE(recorder_->RecordSweep(Sweep(), key_, kT0).ok());
  auto same = recorder_->RecordSweep(Sweep(), key_, kT0 + kMinute);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->recorded, 0u);
  EXPECT_EQ(same->unchanged, 2u);

  // New facts for both checks; the health record is unchanged.
  auto facts = recorder_->RecordSweep(Sweep(5), key_, kT0 + 2 * kMinute);
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->recorded, 2u);

  // Only the rule's verdict changes; it still names the observation's digest.
  auto verdict =
      recorder_->RecordSweep(Sweep(5, collectors::Verdict::kPass), key_, kT0 + 3 * kMinute);
  ASSERT_TRUE(verdict.ok());
  EXPECT_EQ(verdict->recorded, 1u);
  auto records = All();
  EXPECT_EQ(records.back().evidence.check_id(), "access.sshd.permit_root_login");
  EXPECT_EQ(records.back().evidence.facts().fields().at("observation_digest").string_value(),
            platform::HexEncode(evidence::RecordDigest(records[3].envelope.payload())));

  // An hour after the last record of each, everything is due again.
  auto refresh = recorder_->RecordSweep(Sweep(5, collectors::Verdict::kPass), key_,
                                        kT0 + 3 * kMinute + 3600'000'000);
  ASSERT_TRUE(refresh.ok());
  EXPECT_EQ(refresh->recorded, 3u);
  ExpectChainVerifies();
}

TEST_F(RecorderTest, HealthReportsCollectorErrors) {
  auto sweep = Sweep();
  sweep[0].observation.verdict = collectors::Verdict::kError;
  sweep[0].observation.message = "/etc/ssh/sshd_config:3: unterminated quote in banner";
  ASSERT_TRUE(recorder_->RecordSweep(sweep, key_, kT0).ok());
  const v1::Evidence health = All().back().evidence;
  ASSERT_EQ(health.check_id(), "agent.health");
  EXPECT_EQ(health.verdict(), v1::FAIL);
  const auto& errors = health.facts().fields().at("collector_errors").list_value();
  ASSERT_EQ(errors.values_size(), 1);
  EXPECT_EQ(errors.values(0).struct_value().fields().at("check_id").string_value(), "access.sshd");
}

TEST_F(RecorderTest, AFullOutboxTakesNoObservationsThenWritesOneGapRecord) {
  Reopen({/*max_records=*/4, /*max_bytes=*/uint64_t{1} << 30});
  ASSERT_TRUE(recorder_->RecordSweep(Sweep(1), key_, kT0).ok());  // 3 records
  auto full = recorder_->RecordSweep(Sweep(2), key_, kT0 + kMinute);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->not_recorded, 2u);
  EXPECT_EQ(full->recorded, 1u);  // the health record, from the reserve
  EXPECT_EQ(All().back().evidence.check_id(), "agent.health");
  EXPECT_EQ(All().back().evidence.verdict(), v1::FAIL);
  auto still = recorder_->RecordSweep(Sweep(3), key_, kT0 + 2 * kMinute);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->not_recorded, 2u);
  EXPECT_EQ(still->recorded, 1u);  // health again: now at its quota as well
  EXPECT_EQ(All()
                .back()
                .evidence.facts()
                .fields()
                .at("outbox")
                .struct_value()
                .fields()
                .at("state")
                .string_value(),
            "full");
  auto same = recorder_->RecordSweep(Sweep(3), key_, kT0 + 2 * kMinute + 1);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->recorded, 0u);    // nothing new to say
  EXPECT_EQ(outbox_->Depth(), 5u);  // nothing held was dropped

  ASSERT_TRUE(outbox_->DeleteThrough(5).ok());  // the store acked everything
  auto back = recorder_->RecordSweep(Sweep(3), key_, kT0 + 3 * kMinute);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->gap_recorded);
  auto records = All();
  ASSERT_EQ(records.size(), 4u);
  const v1::Evidence& gap = records[0].evidence;
  EXPECT_EQ(gap.check_id(), "agent.gap");
  EXPECT_EQ(gap.kind(), v1::GAP);
  EXPECT_GT(gap.controls_size(), 0);
  EXPECT_EQ(gap.facts().fields().at("observations_not_recorded").number_value(), 6);
  EXPECT_EQ(gap.facts().fields().at("checks").list_value().values_size(), 2);
  EXPECT_EQ(gap.facts().fields().at("from").string_value(), "2023-11-14T22:14:20Z");
  EXPECT_EQ(gap.facts().fields().at("to").string_value(),
            "2023-11-14T22:15:20Z");  // second resolution
  EXPECT_EQ(records[1].evidence.check_id(), "access.sshd");
  EXPECT_EQ(records[3].evidence.check_id(), "agent.health");
  EXPECT_EQ(records[3].evidence.verdict(), v1::PASS);
  EXPECT_TRUE(outbox_->LoadPendingGap()->empty());
}

TEST_F(RecorderTest, LifecycleRecords) {
  auto seq = recorder_->RecordLifecycle("start", {{"mode", "once"}}, key_, kT0);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 1u);
  const v1::Evidence start = All().back().evidence;
  EXPECT_EQ(start.check_id(), "agent.lifecycle.start");
  EXPECT_EQ(start.kind(), v1::LIFECYCLE);
  EXPECT_EQ(start.facts().fields().at("event").string_value(), "start");
  EXPECT_EQ(start.facts().fields().at("mode").string_value(), "once");
}

TEST_F(RecorderTest, RotationHandsTheChainToTheNewKey) {
  ASSERT_TRUE(recorder_->RecordSweep(Sweep(), key_, kT0).ok());
  auto next = *evidence::SigningKey::Generate();
  auto seq = recorder_->RecordRotation(key_, next.public_key(), kT0 + kMinute);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(outbox_->Position().key_id, next.public_key().KeyId());
  ASSERT_TRUE(recorder_->RecordSweep(Sweep(9), next, kT0 + 2 * kMinute).ok());
  auto records = All();
  EXPECT_EQ(records[*seq - 1].evidence.key_id(), key_.public_key().KeyId());
  EXPECT_EQ(records.back().evidence.key_id(), next.public_key().KeyId());
  EXPECT_EQ(records.back().evidence.agent_id(), key_.public_key().KeyId());  // same agent
  ExpectChainVerifies();  // trusting only the first key
}

TEST(RecorderJsonTest, JsonBecomesStruct) {
  google::protobuf::Struct s;
  JsonToStruct({{"a", nullptr}, {"b", true}, {"c", {{"d", "e"}}}, {"f", {1.5, "x"}}}, &s);
  EXPECT_EQ(s.fields().at("a").kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_TRUE(s.fields().at("b").bool_value());
  EXPECT_EQ(s.fields().at("c").struct_value().fields().at("d").string_value(), "e");
  EXPECT_EQ(s.fields().at("f").list_value().values(0).number_value(), 1.5);
  EXPECT_EQ(s.fields().at("f").list_value().values(1).string_value(), "x");
}

TEST(RecorderJsonTest, FactsDigestIgnoresGaugesAndKeyOrder) {
  nlohmann::json a = {{"x", 1}, {"y", {2, 3}}, {"gauges", {{"depth", 5}}}};
  nlohmann::json b = {{"y", {2, 3}}, {"x", 1}, {"gauges", {{"depth", 6}}}};
  EXPECT_EQ(FactsDigest(a), FactsDigest(b));
  b["x"] = 2;
  EXPECT_NE(FactsDigest(a), FactsDigest(b));
}

}  // namespace
}  // namespace shoko::agent
