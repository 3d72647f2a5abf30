// shoko's CA, checked against OpenSSL's own command-line tool as the oracle.
#include "cli/pki_command.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <sstream>

#include "platform/local_files.h"
#include "platform/x509.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko::cli {
namespace {

using testing::RunCommand;
using testing::TempDir;

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::toupper);
  return s;
}

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ostringstream out, err;
    ASSERT_EQ(RunPkiInit({dir_.Path("pki"), "test-ca", 30}, out, err), 0) << err.str();
  }
  int Issue(const std::string& role, const std::string& name, std::vector<std::string> hosts = {}) {
    std::ostringstream out, err;
    int code = RunPkiIssue({dir_.Path("pki"), role, name, std::move(hosts), 10}, out, err);
    err_ = err.str();
    return code;
  }
  std::string Path(const std::string& file) { return dir_.Path("pki/" + file); }
  TempDir dir_;
  std::string err_;
};

TEST_F(PkiTest, IssuedCertificatesVerifyWithOpenssl) {
  ASSERT_EQ(Issue("store", "store1"), 0) << err_;
  ASSERT_EQ(Issue("auditor", "alice"), 0) << err_;
  ASSERT_EQ(Issue("agent", std::string(64, 'a')), 0) << err_;
  auto verify = RunCommand({"openssl", "verify", "-CAfile", Path("ca.crt"), Path("store1.crt"),
                            Path("alice.crt"), Path(std::string(64, 'a') + ".crt")});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  auto store = RunCommand({"openssl", "x509", "-in", Path("store1.crt"), "-noout", "-ext",
                           "subjectAltName,extendedKeyUsage"});
  EXPECT_NE(store.out.find("URI:shoko://store/store1"), std::string::npos) << store.out;
  EXPECT_NE(store.out.find("DNS:localhost"), std::string::npos);
  EXPECT_NE(store.out.find("IP Address:127.0.0.1"), std::string::npos);
  EXPECT_NE(store.out.find("TLS Web Server Authentication"), std::string::npos);
  auto alice = RunCommand({"openssl", "x509", "-in", Path("alice.crt"), "-noout", "-ext",
                           "subjectAltName,extendedKeyUsage"});
  EXPECT_NE(alice.out.find("URI:shoko://auditor/alice"), std::string::npos) << alice.out;
  EXPECT_NE(alice.out.find("TLS Web Client Authentication"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(Path("alice.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(Path("ca.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(PkiTest, InspectAgreesWithOpenssl) {
  ASSERT_EQ(Issue("admin", "root-ops"), 0);
  auto info = platform::InspectCertificate(testing::ReadFileOrEmpty(Path("root-ops.crt")));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->uris, std::vector<std::string>{"shoko://admin/root-ops"});
  EXPECT_EQ(info->common_name, "admin:root-ops");
  auto serial = RunCommand({"openssl", "x509", "-in", Path("root-ops.crt"), "-noout", "-serial"});
  EXPECT_EQ(serial.out, "serial=" + Upper(info->serial) + "\n");
  auto fp = RunCommand(
      {"openssl", "x509", "-in", Path("root-ops.crt"), "-noout", "-fingerprint", "-sha256"});
  std::string expected;
  for (size_t i = 0; i < info->sha256.size(); i += 2) {
    expected += (i ? ":" : "") + Upper(info->sha256.substr(i, 2));
  }
  EXPECT_EQ(fp.out, "sha256 Fingerprint=" + expected + "\n");
}

TEST_F(PkiTest, CertificatesFromRequestsCarryOnlyWhatTheCaDecides) {
  auto request = platform::NewKeyAndRequest("anything the requester likes");
  ASSERT_TRUE(request.ok());
  auto check = RunCommand(
      {"openssl", "req", "-verify", "-noout", "-in", dir_.Write("req.csr", request->cert_pem)});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  auto ca = platform::CertificateAuthority::Load(testing::ReadFileOrEmpty(Path("ca.crt")),
                                                 testing::ReadFileOrEmpty(Path("ca.key")));
  ASSERT_TRUE(ca.ok());
  auto spec = platform::IdentitySpec("agent", std::string(64, 'b'), {}, 5);
  ASSERT_TRUE(spec.ok());
  auto cert = ca->IssueForRequest(request->cert_pem, *spec);
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  EXPECT_TRUE(platform::VerifyCertificate(*cert, ca->cert_pem()).ok());
  auto info = platform::InspectCertificate(*cert);
  EXPECT_EQ(info->uris, std::vector<std::string>{"shoko://agent/" + std::string(64, 'b')});
  // A request whose signature is broken is refused.
  std::string broken = request->cert_pem;
  broken[broken.size() / 2] = broken[broken.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(ca->IssueForRequest(broken, *spec).ok());
}

TEST_F(PkiTest, AnotherCaDoesNotVerify) {
  ASSERT_EQ(Issue("auditor", "bob"), 0);
  auto other = platform::CertificateAuthority::Create("other", 1);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(
      platform::VerifyCertificate(testing::ReadFileOrEmpty(Path("bob.crt")), other->cert_pem())
          .ok());
}

TEST_F(PkiTest, BadRequestsAreUsageErrors) {
  EXPECT_EQ(Issue("root", "x"), 2);
  EXPECT_NE(err_.find("is not one of store, agent"), std::string::npos);
  EXPECT_EQ(Issue("agent", "not-hex"), 2);
  EXPECT_EQ(Issue("auditor", "a,URI:shoko://admin/evil"), 2);
  EXPECT_EQ(Issue("auditor", "alice", {"example.com"}), 2);
  EXPECT_EQ(Issue("store", "s", {"bad host!"}), 2);
  std::ostringstream out, err;
  EXPECT_EQ(RunPkiInit({dir_.Path("pki"), "again", 30}, out, err), 2);  // never overwrites a CA
  EXPECT_NE(err.str().find("already holds a CA"), std::string::npos);
}

}  // namespace
}  // namespace shoko::cli
