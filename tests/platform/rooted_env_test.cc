#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/env.h"
#include "platform/host_identity.h"
#include "tests/support/temp_dir.h"

namespace shoko::platform {
namespace {

using testing::FixturePath;
using testing::TempDir;

TEST(RootedEnvTest, ReadsHostPathsUnderTheRoot) {
  auto env = NewRootedEnv(FixturePath("debian12-sshd"));
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  auto text = (*env)->ReadFile("/etc/hostname");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "fixture-debian12\n");
  EXPECT_FALSE((*env)->IsHostRoot());
}

TEST(RootedEnvTest, MissingFileIsNotFoundAndNamesTheRoot) {
  auto env = NewRootedEnv(FixturePath("no-sshd"));
  ASSERT_TRUE(env.ok());
  auto text = (*env)->ReadFile("/etc/ssh/sshd_config");
  ASSERT_FALSE(text.ok());
  EXPECT_TRUE(text.status().IsNotFound());
  EXPECT_NE(text.status().message().find("/etc/ssh/sshd_config (in root "), std::string::npos)
      << text.status().message();
}

TEST(RootedEnvTest, RelativePathsAreRefused) {
  auto env = NewRootedEnv(FixturePath("no-sshd"));
  ASSERT_TRUE(env.ok());
  auto text = (*env)->ReadFile("etc/os-release");
  EXPECT_EQ(text.status().code(), Status::Code::kInvalidArgument);
}

TEST(RootedEnvTest, SymlinksAndDotDotNeverLeaveTheRoot) {
  TempDir dir;
  dir.Write("root/etc/passwd", "fixture passwd\n");
  ASSERT_EQ(::mkdir(dir.Path("root/etc/ssh").c_str(), 0755), 0);
  // An absolute target, and a relative one climbing far above the root: both
  // must land on the fixture's /etc/passwd, never the host's.
  ASSERT_EQ(::symlink("/etc/passwd", dir.Path("root/etc/ssh/absolute").c_str()), 0);
  ASSERT_EQ(::symlink("../../../../../../../../etc/passwd", dir.Path("root/etc/ssh/climb").c_str()),
            0);
  auto env = NewRootedEnv(dir.Path("root"));
  ASSERT_TRUE(env.ok());
  for (const char* path : {"/etc/ssh/absolute", "/etc/ssh/climb", "/../../etc/passwd"}) {
    auto text = (*env)->ReadFile(path);
    ASSERT_TRUE(text.ok()) << path << ": " << text.status().ToString();
    EXPECT_EQ(*text, "fixture passwd\n") << path;
  }
  auto link = (*env)->ReadLink("/etc/ssh/absolute");
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(*link, "/etc/passwd");
  auto lstat = (*env)->Stat("/etc/ssh/absolute", /*follow=*/false);
  ASSERT_TRUE(lstat.ok());
  EXPECT_EQ(lstat->type, FileInfo::Type::kSymlink);
}

TEST(RootedEnvTest, RefusesDirectoriesAndOversizedFiles) {
  TempDir dir;
  dir.Write("root/etc/big", std::string(1000, 'x'));
  auto env = NewRootedEnv(dir.Path("root"));
  ASSERT_TRUE(env.ok());
  auto as_dir = (*env)->ReadFile("/etc");
  EXPECT_EQ(as_dir.status().code(), Status::Code::kInvalidArgument);
  auto big = (*env)->ReadFile("/etc/big", 999);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("larger than 999 bytes"), std::string::npos);
  EXPECT_TRUE((*env)->ReadFile("/etc/big", 1000).ok());
}

TEST(RootedEnvTest, StatReportsModeAndOwner) {
  TempDir dir;
  std::string file = dir.Write("root/etc/shadow", "x");
  ASSERT_EQ(::chmod(file.c_str(), 0640), 0);
  auto env = NewRootedEnv(dir.Path("root"));
  ASSERT_TRUE(env.ok());
  auto info = (*env)->Stat("/etc/shadow");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->type, FileInfo::Type::kRegular);
  EXPECT_EQ(info->mode, 0640u);
  EXPECT_EQ(info->uid, ::geteuid());
  EXPECT_EQ(info->size, 1u);
}

TEST(RootedEnvTest, ListDirAndGlobAreSorted) {
  TempDir dir;
  dir.Write("root/etc/ssh/sshd_config.d/50-b.conf", "");
  dir.Write("root/etc/ssh/sshd_config.d/10-a.conf", "");
  dir.Write("root/etc/ssh/sshd_config.d/README", "");
  dir.Write("root/etc/ssh/sshd_config.d/.hidden.conf", "");
  auto env = NewRootedEnv(dir.Path("root"));
  ASSERT_TRUE(env.ok());
  auto names = (*env)->ListDir("/etc/ssh/sshd_config.d");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{".hidden.conf", "10-a.conf", "50-b.conf", "README"}));
  auto matches = Glob(**env, "/etc/ssh/sshd_config.d/*.conf");
  ASSERT_TRUE(matches.ok());
  EXPECT_EQ(*matches, (std::vector<std::string>{"/etc/ssh/sshd_config.d/10-a.conf",
                                                "/etc/ssh/sshd_config.d/50-b.conf"}));
  auto wild_dir = Glob(**env, "/etc/*/sshd_config.d/10-a.conf");
  ASSERT_TRUE(wild_dir.ok());
  EXPECT_EQ(*wild_dir, (std::vector<std::string>{"/etc/ssh/sshd_config.d/10-a.conf"}));
  auto literal_missing = Glob(**env, "/etc/ssh/nothing.conf");
  ASSERT_TRUE(literal_missing.ok());
  EXPECT_TRUE(literal_missing->empty());
}

TEST(RootedEnvTest, BadRootIsAnErrorNamingIt) {
  auto missing = NewRootedEnv("/nonexistent/shoko-root");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/shoko-root"), std::string::npos);
  TempDir dir;
  std::string file = dir.Write("plain-file", "x");
  auto not_dir = NewRootedEnv(file);
  ASSERT_FALSE(not_dir.ok());
  EXPECT_NE(not_dir.status().message().find(file), std::string::npos);
}

TEST(HostIdentityTest, ReadsIdentityFromTheRoot) {
  auto env = NewRootedEnv(FixturePath("debian12-sshd"));
  ASSERT_TRUE(env.ok());
  HostIdentity id = ReadHostIdentity(**env);
  EXPECT_EQ(id.hostname, "fixture-debian12");
  EXPECT_EQ(id.machine_id, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(id.os_id, "debian");
  EXPECT_EQ(id.os_version, "12");
  EXPECT_EQ(id.kernel, "6.1.0-28-amd64");
}

TEST(HostIdentityTest, MissingFilesLeaveFieldsEmpty) {
  auto env = NewRootedEnv(FixturePath("no-sshd"));
  ASSERT_TRUE(env.ok());
  HostIdentity id = ReadHostIdentity(**env);
  EXPECT_EQ(id.hostname, "");
  EXPECT_EQ(id.os_id, "debian");
}

TEST(HostIdentityTest, OsReleaseValuesAreUnquoted) {
  EXPECT_EQ(OsReleaseValue("ID=rhel\nVERSION_ID=\"9.4\"\n", "VERSION_ID"), "9.4");
  EXPECT_EQ(OsReleaseValue("ID_LIKE=fedora\nID=rocky\n", "ID"), "rocky");
  EXPECT_EQ(OsReleaseValue("NAME='x y'\n", "NAME"), "x y");
  EXPECT_EQ(OsReleaseValue("NAME=x\n", "ID"), "");
}

}  // namespace
}  // namespace shoko::platform
