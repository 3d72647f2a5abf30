#include "cli/incidents_command.h"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/cli/captured.h"
#include "tests/cli/fake_store.h"

namespace shoko::cli {
namespace {

v1::StoreIncident Incident(std::string kind, std::string agent, uint64_t first, uint64_t last,
                           int64_t at_us, std::string detail) {
  v1::StoreIncident i;
  i.set_kind(std::move(kind));
  i.set_agent_id(std::move(agent));
  i.set_first_seq(first);
  i.set_last_seq(last);
  i.set_detected_at_us(at_us);
  i.set_detail(std::move(detail));
  return i;
}

class IncidentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    audit_.SetIncidents(
        {Incident("gap", a_, 4, 6, 1'700'000'000'000'000, "seqs 4-6 never reached the store"),
         Incident("witness", b_, 9, 9, 1'700'000'060'000'000,
                  "inclusion-proof: leaf 12 is not included in the checkpoint of 20 leaves")});
  }
  int Run(IncidentsQuery query = {}) {
    query.connection.store = store_.address();
    return printed_.Run(RunIncidents, query);
  }

  std::string a_ = std::string(64, 'a');
  std::string b_ = std::string(64, 'b');
  testing::FakeAuditQuery audit_;
  testing::FakeStore store_{{&audit_}};
  testing::Captured printed_;
  const std::string& out_ = printed_.out;
  const std::string& err_ = printed_.err;
};

TEST_F(IncidentsTest, ATableLineEachWithAgentTimeKindAndDetail) {
  EXPECT_EQ(Run(), 0) << err_;
  EXPECT_NE(out_.find("DETECTED"), std::string::npos) << out_;
  EXPECT_NE(out_.find("2023-11-14T22:13:20"), std::string::npos) << out_;
  EXPECT_NE(out_.find("aaaaaaaaaaaa  gap      4-6  seqs 4-6 never reached the store"),
            std::string::npos)
      << out_;
  EXPECT_NE(out_.find("bbbbbbbbbbbb  witness  9    inclusion-proof: leaf 12"), std::string::npos)
      << out_;
  EXPECT_NE(out_.find("\n2 incident(s)\n"), std::string::npos) << out_;
}

TEST_F(IncidentsTest, FiltersByAgentAndKind) {
  IncidentsQuery query;
  query.agent = "bbbb";
  EXPECT_EQ(Run(query), 0);
  EXPECT_EQ(out_.find(" gap "), std::string::npos) << out_;
  EXPECT_NE(out_.find("1 incident(s)"), std::string::npos) << out_;
  query = {};
  query.kind = "gap";
  EXPECT_EQ(Run(query), 0);
  EXPECT_EQ(out_.find("witness"), std::string::npos) << out_;
  EXPECT_NE(out_.find("1 incident(s)"), std::string::npos) << out_;
}

TEST_F(IncidentsTest, JsonLinesCarryTheWholeAgentIdAndTheCountGoesToStderr) {
  IncidentsQuery query;
  query.format = "jsonl";
  EXPECT_EQ(Run(query), 0);
  EXPECT_NE(out_.find("{\"detected_at\":\"2023-11-14T22:14:20"), std::string::npos) << out_;
  EXPECT_NE(out_.find("\"agent_id\":\"" + b_ + "\",\"kind\":\"witness\",\"first_seq\":9"),
            std::string::npos)
      << out_;
  EXPECT_EQ(err_, "shokoctl: 2 incident(s)\n");
}

}  // namespace
}  // namespace shoko::cli
