// The configuration as evidence: which files the fingerprint names (the
// declarative checks and the catalog only when the custom collector runs;
// hidden files never), that an edit shows in the file's digest and the
// overall one, and that a config without them keeps the digest it always had.
#include "agent/config_fingerprint.h"

#include <gtest/gtest.h>

#include "platform/digest.h"
#include "tests/support/temp_dir.h"

namespace shoko::agent {
namespace {

using testing::TempDir;

constexpr char kCheck[] =
    "checks:\n  - id: site.motd\n    title: A login banner is set\n    rationale: r\n"
    "    controls: [ismap:8.5, nist80053r5:AC-8]\n"
    "    rules: [{file: /etc/motd, exists: true}]\n";

class ConfigFingerprintTest : public ::testing::Test {
 protected:
  ConfigFingerprint Fingerprint(const std::string& collectors) {
    const std::string path = tmp_.Write("agent.yaml", "root: " + tmp_.Path("root") +
                                                          "\nchecks_dir: " + tmp_.Path("checks.d") +
                                                          "\ncollectors: [" + collectors + "]\n");
    auto config = LoadAgentConfig(path);
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    auto setup = PrepareSweep(*config);
    EXPECT_TRUE(setup.ok()) << setup.status().ToString();
    return FingerprintConfig(*config, *setup);
  }
  std::vector<std::string> Paths(const ConfigFingerprint& f) {
    std::vector<std::string> paths;
    for (const FingerprintedFile& file : f.files) paths.push_back(file.path);
    return paths;
  }

  TempDir tmp_;
};

TEST_F(ConfigFingerprintTest, TheDeclarativeChecksCountWhenTheyRun) {
  tmp_.Write("root/etc/motd", "hello\n");
  tmp_.Write("checks.d/site.yaml", kCheck);
  tmp_.Write("checks.d/.site.yaml.swp", "editor state");
  const ConfigFingerprint with = Fingerprint("custom");
  EXPECT_EQ(Paths(with),
            (std::vector<std::string>{tmp_.Path("agent.yaml"), tmp_.Path("checks.d/site.yaml")}));
  EXPECT_EQ(with.files[1].sha256, platform::Sha256Hex(kCheck));
  EXPECT_EQ(Paths(Fingerprint("access.sshd")), std::vector<std::string>{tmp_.Path("agent.yaml")});

  tmp_.Write("checks.d/site.yaml", std::string(kCheck) + "\n");
  const ConfigFingerprint edited = Fingerprint("custom");
  EXPECT_NE(edited.digest, with.digest);
  EXPECT_NE(edited.files[1].sha256, with.files[1].sha256);
  EXPECT_EQ(edited.files[0].sha256, with.files[0].sha256);
}

TEST_F(ConfigFingerprintTest, AConfigWithoutCheckFilesKeepsItsDigest) {
  tmp_.Write("root/etc/motd", "hello\n");
  const ConfigFingerprint f = Fingerprint("access.sshd");
  const std::string path = tmp_.Path("agent.yaml");
  const controls::Mapping& mapping = controls::Mapping::BuiltIn();
  const controls::Baseline& baseline = controls::Baseline::BuiltIn();
  // The digest as agents before the file list computed it.
  const std::string material = path + "\n" + testing::ReadFileOrEmpty(path) + "\nmapping " +
                               mapping.version() + "\nbaseline " + baseline.id() + " " +
                               baseline.version() + "\ncollectors access.sshd";
  EXPECT_EQ(f.digest, platform::Sha256Hex(material));
}

TEST(ConfigChangeFactsTest, NamesWhatWasAddedRemovedAndChanged) {
  const ConfigFingerprint now{"d2", {{"a", "1"}, {"b", "3"}, {"d", "4"}}};
  const nlohmann::json facts = ConfigChangeFacts(
      "d1", std::vector<FingerprintedFile>{{"a", "1"}, {"b", "2"}, {"c", "5"}}, now);
  EXPECT_EQ(facts["previous_config_digest"], "d1");
  EXPECT_EQ(facts["config_digest"], "d2");
  EXPECT_EQ(facts["files_added"], nlohmann::json::parse(R"([{"path":"d","sha256":"4"}])"));
  EXPECT_EQ(facts["files_removed"], nlohmann::json::parse(R"([{"path":"c","sha256":"5"}])"));
  EXPECT_EQ(facts["files_changed"],
            nlohmann::json::parse(R"([{"path":"b","previous_sha256":"2","sha256":"3"}])"));
  // An outbox from before the files were kept: the current ones, no diff.
  const nlohmann::json unknown = ConfigChangeFacts("d1", FilesFromJson("not json"), now);
  EXPECT_FALSE(unknown.contains("files_changed"));
  EXPECT_EQ(unknown["files"].size(), 3u);
  EXPECT_EQ(FilesFromJson(FilesToJson(now.files).dump())->size(), 3u);
}

}  // namespace
}  // namespace shoko::agent
