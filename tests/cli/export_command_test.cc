#include "cli/export_command.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/verify_command.h"
#include "tests/cli/fake_store.h"
#include "tests/support/temp_dir.h"

namespace shoko::cli {
namespace {

class ExportTest : public ::testing::Test {
 protected:
  int Export(ExportRequest request) {
    request.connection.store = store_.address();
    std::ostringstream out, err;
    int code = RunExport(request, out, err);
    out_ = out.str();
    err_ = err.str();
    return code;
  }

  shoko::testing::TempDir dir_;
  evidence::SigningKey key_ = *evidence::SigningKey::Generate();
  testing::FakeAuditQuery audit_;
  testing::FakeStore store_{{&audit_}};
  std::string out_, err_;
};

TEST_F(ExportTest, ADsseExportIsWhatVerifyReads) {
  audit_.SetRecords(testing::SignedChain(key_, 7));
  ExportRequest request;
  request.format = "dsse";
  request.agent = key_.public_key().KeyId().substr(0, 8);
  request.output = dir_.Path("export.jsonl");
  ASSERT_EQ(Export(request), 0) << err_;
  EXPECT_EQ(out_, "wrote 7 record(s) of 1 agent(s) to " + request.output + " (dsse)\n");
  EXPECT_EQ(audit_.last_request().agent_id(), request.agent);

  const std::string pub = dir_.Write("agent.pub", key_.public_key().ToPem());
  std::ostringstream out, err;
  EXPECT_EQ(RunVerify({pub}, {request.output}, out, err), 0) << out.str() << err.str();
  EXPECT_NE(out.str().find("7 record(s) in 1 file(s) from 1 agent(s): 7 valid, 0 with problems"),
            std::string::npos)
      << out.str();
}

TEST_F(ExportTest, NothingListedWritesNothing) {
  ExportRequest request;
  request.format = "dsse";
  request.output = dir_.Path("export.jsonl");
  EXPECT_EQ(Export(request), 2);
  EXPECT_NE(err_.find("no records"), std::string::npos) << err_;
  EXPECT_EQ(shoko::testing::ReadFileOrEmpty(request.output), "");
}

TEST_F(ExportTest, UsageErrorsAreExit2) {
  ExportRequest request;
  request.format = "dsse";
  EXPECT_EQ(Export(request), 2);
  EXPECT_NE(err_.find("-o FILE"), std::string::npos);
  request.output = dir_.Path("x");
  request.previous = dir_.Path("checkpoint");
  EXPECT_EQ(Export(request), 2);
  EXPECT_NE(err_.find("--previous goes with --format bundle"), std::string::npos);
  request.previous.clear();
  request.control = "ismap 8.2";
  EXPECT_EQ(Export(request), 2);
}

}  // namespace
}  // namespace shoko::cli
