// The state directory: what opening it makes, the lock, the refusals that
// protect the chain (a key without a chain head, online and offline; an
// outbox in an offline directory), the offline chain head, and key rotation's
// steps with a failure between them.
#include "agent/state_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/support/temp_dir.h"

namespace shoko::agent {
namespace {

using testing::ReadFileOrEmpty;
using testing::TempDir;

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

TEST(StateDirTest, ANewIdentityHasItsKeysAndAnEmptyChain) {
  TempDir tmp;
  const std::string path = tmp.Path("state");
  auto dir = StateDir::OpenIdentity(path);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  const std::string id = dir->identity().agent_id;
  EXPECT_EQ(id, dir->identity().key.public_key().KeyId());
  for (const std::string& file : {dir->key_file(), dir->public_key_file(), dir->agent_id_file(),
                                  dir->kept_key_file(id), dir->chain_head_file()}) {
    EXPECT_TRUE(Exists(file)) << file;
  }
  EXPECT_EQ(dir->key_file(), path + "/agent.key");
  auto head = LoadChainState(dir->chain_head_file());
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ((*head)->position.head.seq, 0u);
  // One process per directory: a second is refused while the first holds it.
  auto second = StateDir::OpenOnline(path, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(second.status().message().find("agent.lock"), std::string::npos);
}

TEST(StateDirTest, AKeyWithoutAChainHeadIsRefusedOnlineAndOffline) {
  TempDir tmp;
  const std::string online = tmp.Path("online"), offline = tmp.Path("offline");
  for (const std::string& path : {online, offline}) {
    ASSERT_TRUE(StateDir::OpenIdentity(path).ok());
    ASSERT_EQ(::unlink(StateDir(path).chain_head_file().c_str()), 0);
  }
  auto up = StateDir::OpenOnline(online, {});
  ASSERT_FALSE(up.ok());
  EXPECT_NE(up.status().message().find("holds the agent's key but neither outbox.db nor "
                                       "chain.head, so where its chain stands is unknown"),
            std::string::npos)
      << up.status().message();
  auto off = StateDir::OpenOffline(offline);
  ASSERT_FALSE(off.ok());
  EXPECT_NE(off.status().message().find("holds the agent's key but no chain.head, so where its "
                                        "chain stands is unknown"),
            std::string::npos)
      << off.status().message();
  // Nothing was made in their place.
  EXPECT_FALSE(Exists(StateDir(offline).chain_head_file()));
}

TEST(StateDirTest, OfflineCollectionRefusesTheDirectoryOfAnAgentThatUploads) {
  TempDir tmp;
  const std::string path = tmp.Path("state");
  ASSERT_TRUE(StateDir::OpenOnline(path, {}).ok());
  auto off = StateDir::OpenOffline(path);
  ASSERT_FALSE(off.ok());
  EXPECT_NE(off.status().message().find("give offline collection a directory of its own"),
            std::string::npos);
  EXPECT_EQ(StateDir::OpenOffline("").status().message(), "--state-dir DIR is required");
}

TEST(StateDirTest, TheOfflineChainHeadCarriesOver) {
  TempDir tmp;
  const std::string path = tmp.Path("state");
  ChainPosition after;
  {
    auto dir = StateDir::OpenOffline(path);
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    EXPECT_EQ(dir->position().head.seq, 0u);
    after = {{7, std::string(32, '\x07')}, dir->identity().key.public_key().KeyId()};
    ASSERT_TRUE(dir->AdvanceOfflineHead(after).ok());
  }
  auto again = StateDir::OpenOffline(path);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->position().head.seq, 7u);
  EXPECT_EQ(again->position().head.digest, after.head.digest);
}

TEST(StateDirTest, RotationSwapsTheKeyOnlyOnceTheRecordIsRecorded) {
  TempDir tmp;
  const std::string path = tmp.Path("state");
  std::string first;
  {
    auto dir = StateDir::OpenOnline(path, {});
    ASSERT_TRUE(dir.ok());
    first = dir->identity().key.public_key().KeyId();
    // The record step fails: the old key stays, and the prepared one is
    // dropped the next time the directory is opened.
    auto failed = dir->RotateKey([](const evidence::SigningKey&, const evidence::PublicKey&) {
      return Result<uint64_t>(Status::IOError("disk full"));
    });
    EXPECT_EQ(failed.status().code(), Status::Code::kIOError);
    EXPECT_EQ(dir->identity().key.public_key().KeyId(), first);
    EXPECT_TRUE(Exists(dir->next_key_file()));
  }
  auto dir = StateDir::OpenOnline(path, {});
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_FALSE(Exists(dir->next_key_file()));

  std::string named;
  auto rotated = dir->RotateKey([&](const evidence::SigningKey& current,
                                    const evidence::PublicKey& next) -> Result<uint64_t> {
    EXPECT_EQ(current.public_key().KeyId(), first);
    named = next.KeyId();
    return uint64_t{5};
  });
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  EXPECT_EQ(rotated->old_key_id, first);
  EXPECT_EQ(rotated->seq, 5u);
  EXPECT_EQ(dir->identity().key.public_key().KeyId(), named);
  EXPECT_EQ(dir->identity().agent_id, first);  // the agent stays who it was
  EXPECT_FALSE(Exists(dir->next_key_file()));
  EXPECT_FALSE(ReadFileOrEmpty(dir->kept_key_file(first)).empty());
}

}  // namespace
}  // namespace shoko::agent
