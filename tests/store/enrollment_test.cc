// Enrollment and renewal over real TLS on loopback, with the store's clock in
// the test's hands.
#include "agent/enrollment.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>

#include "evidence/encoding.h"
#include "evidence/envelope.h"
#include "platform/grpc_tls.h"
#include "platform/local_files.h"
#include "platform/x509.h"
#include "shoko/v1/admin.grpc.pb.h"
#include "store/admin_service.h"
#include "store/enrollment_service.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ledger.h"

namespace shoko::store {
namespace {

using testing::TempDir;

constexpr int64_t kDay = int64_t{86400} * 1000000;
// What the store hands enrolling agents to pin (its form is the log key's
// business, not enrollment's).
constexpr char kLogVerifierKey[] = "shoko-store/test+01020304+AQ==";

class EnrollmentTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<testing::TestLedgerDb>(GetParam(), dir_.path());
    if (!db_->skip_reason().empty()) GTEST_SKIP() << db_->skip_reason();
    ASSERT_EQ(db_->error(), "");
    auto ca = platform::CertificateAuthority::Create("test-ca", 30);
    ASSERT_TRUE(ca.ok());
    auto store_cert = ca->IssueWithNewKey(*platform::IdentitySpec("store", "s", {}, 30));
    ASSERT_TRUE(store_cert.ok());
    ca_file_ = dir_.Write("ca.crt", ca->cert_pem());
    auto ledger = OpenLedger(db_->db());
    ASSERT_TRUE(ledger.ok());
    ledger_ = std::move(ledger).value();
    auto now = [this] { return now_us_.load(); };
    enrollment_ = std::make_unique<EnrollmentService>(ledger_.get(), std::move(ca).value(), 30, now,
                                                      kLogVerifierKey);
    admin_ = std::make_unique<AdminService>(ledger_.get(), now, /*require_identity=*/false);
    auto creds =
        platform::ServerTlsCredentials({ca_file_, dir_.Write("s.crt", store_cert->cert_pem),
                                        dir_.Write("s.key", store_cert->key_pem)});
    ASSERT_TRUE(creds.ok()) << creds.status().ToString();
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", *creds, &port);
    builder.RegisterService(enrollment_.get());
    builder.RegisterService(admin_.get());
    server_ = builder.BuildAndStart();
    address_ = "127.0.0.1:" + std::to_string(port);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& cert = "",
                                         const std::string& key = "") {
    return *platform::OpenChannel(address_, platform::TlsFiles{ca_file_, cert, key},
                                  grpc::ChannelArguments());
  }

  std::string Token(int64_t ttl_seconds = 3600) {
    v1::CreateEnrollmentTokenRequest req;
    req.set_ttl_seconds(ttl_seconds);
    v1::CreateEnrollmentTokenResponse resp;
    grpc::ClientContext ctx;
    EXPECT_TRUE(v1::Admin::NewStub(Channel())->CreateEnrollmentToken(&ctx, req, &resp).ok());
    return resp.token();
  }

  TempDir dir_;
  std::unique_ptr<testing::TestLedgerDb> db_;
  std::string ca_file_;
  std::atomic<int64_t> now_us_{1'800'000'000'000'000};
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<EnrollmentService> enrollment_;
  std::unique_ptr<AdminService> admin_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

TEST_P(EnrollmentTest, ATokenBuysOneCertificateNamingTheAgent) {
  auto key = *evidence::SigningKey::Generate();
  const agent::TlsPaths paths{dir_.Path("agent/tls.crt"), dir_.Path("agent/tls.key")};
  ASSERT_TRUE(platform::MakeDirs(dir_.Path("agent"), 0700).ok());
  const std::string token = Token();
  auto enrolled = agent::Enroll(Channel(), key, token, paths);
  ASSERT_TRUE(enrolled.ok()) << enrolled.status().ToString();
  auto info = platform::InspectCertificate(testing::ReadFileOrEmpty(paths.cert));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->uris, std::vector<std::string>{"shoko://agent/" + key.public_key().KeyId()});
  EXPECT_EQ(info->not_after_us, *enrolled);
  // The store now knows the agent by its evidence key.
  auto agent = ledger_->FindAgent(key.public_key().KeyId());
  ASSERT_TRUE(agent.ok() && *agent);
  EXPECT_EQ((*agent)->keys.at(0).public_key, key.public_key().raw());

  // The same token again, by anyone, is refused.
  auto other = *evidence::SigningKey::Generate();
  auto reused = agent::Enroll(Channel(), other, token, {dir_.Path("o.crt"), dir_.Path("o.key")});
  ASSERT_FALSE(reused.ok());
  EXPECT_NE(reused.status().message().find("enrollment token already used"), std::string::npos);
}

TEST_P(EnrollmentTest, ExpiredUnknownAndForgedAreRefused) {
  auto key = *evidence::SigningKey::Generate();
  const std::string token = Token(60);
  now_us_ += 61 * 1000000;
  auto expired = agent::Enroll(Channel(), key, token, {dir_.Path("a.crt"), dir_.Path("a.key")});
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.status().message().find("enrollment token expired"), std::string::npos);
  auto unknown =
      agent::Enroll(Channel(), key, "shk1_nonsense", {dir_.Path("a.crt"), dir_.Path("a.key")});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown enrollment token"), std::string::npos);
  // A proof by another key than the one registered.
  auto request = platform::NewKeyAndRequest("x");
  v1::EnrollRequest req;
  req.set_token(Token());
  req.set_evidence_public_key(key.public_key().raw());
  req.set_csr_pem(request->cert_pem);
  auto thief = *evidence::SigningKey::Generate();
  req.set_proof(*thief.Sign(
      evidence::Pae(evidence::kEnrollmentProofType, req.token() + "\n" + req.csr_pem())));
  v1::EnrollResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = v1::Enrollment::NewStub(Channel())->Enroll(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_FALSE(*ledger_->FindAgent(key.public_key().KeyId()));
}

TEST_P(EnrollmentTest, RenewalHappensOnlyWhenDueAndNeedsAnActiveAgent) {
  auto key = *evidence::SigningKey::Generate();
  const agent::TlsPaths paths{dir_.Path("tls.crt"), dir_.Path("tls.key")};
  auto not_after = agent::Enroll(Channel(), key, Token(), paths);
  ASSERT_TRUE(not_after.ok());
  const std::string first = testing::ReadFileOrEmpty(paths.cert);
  auto mtls = Channel(paths.cert, paths.key);
  auto early = agent::RenewIfDue(mtls, paths, *not_after - 20 * kDay);
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_FALSE(*early);
  auto due = agent::RenewIfDue(mtls, paths, *not_after - 2 * kDay);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  EXPECT_TRUE(*due);
  EXPECT_NE(testing::ReadFileOrEmpty(paths.cert), first);
  auto renewed = platform::InspectCertificate(testing::ReadFileOrEmpty(paths.cert));
  EXPECT_EQ(renewed->uris, std::vector<std::string>{"shoko://agent/" + key.public_key().KeyId()});
  // Revoked agents renew nothing.
  ASSERT_TRUE(
      ledger_->SetAgentState(key.public_key().KeyId(), "revoked", "lost laptop", now_us_).ok());
  auto refused = agent::RenewIfDue(Channel(paths.cert, paths.key), paths, *not_after);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("agent is revoked"), std::string::npos);
}

TEST_P(EnrollmentTest, TheAnswerCarriesTheLogKeyToPin) {
  auto key = *evidence::SigningKey::Generate();
  auto request = platform::NewKeyAndRequest("x");
  ASSERT_TRUE(request.ok());
  v1::EnrollRequest req;
  req.set_token(Token());
  req.set_evidence_public_key(key.public_key().raw());
  req.set_csr_pem(request->cert_pem);
  req.set_proof(
      *key.Sign(evidence::Pae(evidence::kEnrollmentProofType, req.token() + "\n" + req.csr_pem())));
  v1::EnrollResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = v1::Enrollment::NewStub(Channel())->Enroll(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.agent_id(), key.public_key().KeyId());
  EXPECT_EQ(resp.log_verifier_key(), kLogVerifierKey);
}

INSTANTIATE_TEST_SUITE_P(Backends, EnrollmentTest, ::testing::ValuesIn(testing::LedgerBackends()),
                         [](const auto& param) { return param.param; });

}  // namespace
}  // namespace shoko::store
