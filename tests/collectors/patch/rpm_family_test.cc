// The patch family on an RPM-family root (tests/fixtures/rhel9-patch, made by
// tests/fixtures/make-rhel9-patch.sh), judged by rpm and dnf themselves.
#include <gtest/gtest.h>
#include <unistd.h>

#include <set>
#include <sstream>
#include <tuple>

#include "collectors/collector.h"
#include "collectors/common/decompress.h"
#include "collectors/common/ini.h"
#include "collectors/patch/dnf_metadata.h"
#include "controls/baseline.h"
#include "platform/env.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::patch {
namespace {

using testing::CommandResult;
using testing::FixturePath;
using testing::RunCommand;
using testing::TempDir;

std::unique_ptr<platform::Env> EnvAt(const std::string& root) {
  auto env = platform::NewRootedEnv(root);
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  return std::move(env).value();
}

Observation CollectOne(const std::string& collector, const platform::Env& env) {
  auto c = CollectorRegistry::Global().Create(collector);
  if (c == nullptr) return {};
  auto observations = c->Collect({env, controls::Baseline::BuiltIn(), nullptr, nullptr});
  EXPECT_EQ(observations.size(), 1u);
  return observations.empty() ? Observation{} : observations.front();
}

// A writable copy: rpm and dnf may touch the database and their caches.
std::string CopyOfFixture(const TempDir& dir) {
  const std::string root = dir.Path("root");
  EXPECT_EQ(RunCommand({"cp", "-a", FixturePath("rhel9-patch"), root}).exit_code, 0);
  return root;
}

// Our pending updates as dnf check-update names them: ("name.arch", EVR).
std::set<std::pair<std::string, std::string>> PendingCandidates(const platform::Env& env) {
  Observation obs = CollectOne("patch.pending_updates", env);
  EXPECT_NE(obs.verdict, Verdict::kError) << obs.message;
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& u : obs.facts["updates"]) {
    out.emplace(u["name"].get<std::string>() + "." + u["arch"].get<std::string>(),
                u["candidate"].get<std::string>());
  }
  return out;
}

TEST(RpmFamilyTest, PackagesEqualRpmQa) {
  if (RunCommand({"rpm", "--version"}).exit_code != 0) {
    GTEST_SKIP() << "rpm is not installed here (Debian package rpm): no oracle";
  }
  TempDir dir;
  const std::string root = CopyOfFixture(dir);
  CommandResult qa = RunCommand({"rpm", "--root", root, "--dbpath", "/var/lib/rpm", "-qa", "--qf",
                                 "%{NAME} %{ARCH} %{EVR}\\n"});
  ASSERT_EQ(qa.exit_code, 0) << qa.err;
  std::multiset<std::tuple<std::string, std::string, std::string>> expected, ours;
  std::istringstream lines(qa.out);
  for (std::string name, arch, evr; lines >> name >> arch >> evr;) {
    if (name != "gpg-pubkey") expected.emplace(name, arch, evr);
  }
  auto env = EnvAt(root);
  Observation obs = CollectOne("patch.packages", *env);
  ASSERT_EQ(obs.verdict, Verdict::kInfo) << obs.message;
  EXPECT_EQ(obs.facts["manager"], "rpm");
  for (const auto& p : obs.facts["packages"]) ours.emplace(p["name"], p["arch"], p["version"]);
  EXPECT_EQ(ours.size(), 9u);  // two kernel-core side by side
  EXPECT_EQ(ours, expected);
  for (const auto& p : obs.facts["packages"]) {
    if (p["name"] == "openssl-libs") {
      EXPECT_EQ(p["source"], "openssl");
    }
  }
}

// dnf's own answer, cache only (-C), on a copy of the root.
std::set<std::pair<std::string, std::string>> DnfCheckUpdate(const std::string& root,
                                                             const TempDir& dir, bool security) {
  const std::string home = dir.Path("home");
  dir.Write("home/.rpmmacros", "%_dbpath /var/lib/rpm\n");
  std::vector<std::string> argv = {"env",         "HOME=" + home,          "dnf",
                                   "-C",          "--installroot=" + root, "--releasever=9",
                                   "check-update"};
  if (security) argv.push_back("--security");
  CommandResult r = RunCommand(argv, std::chrono::seconds(120));
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 100) << r.err;  // 100: updates exist
  std::set<std::pair<std::string, std::string>> updates;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream w(line);
    std::string name_arch, evr, repo;
    if (!(w >> name_arch >> evr >> repo) || name_arch.find('.') == std::string::npos) continue;
    if (line.rfind("Last metadata", 0) == 0 || line.rfind("Security:", 0) == 0) continue;
    updates.emplace(name_arch, evr);
  }
  return updates;
}

TEST(RpmFamilyTest, PendingUpdatesEqualDnfCheckUpdate) {
  if (RunCommand({"dnf", "--version"}).exit_code != 0) {
    GTEST_SKIP() << "dnf is not installed here (Debian package dnf): no oracle";
  }
  TempDir dir;
  const std::string root = CopyOfFixture(dir);
  auto env = EnvAt(root);
  Observation obs = CollectOne("patch.pending_updates", *env);
  ASSERT_NE(obs.verdict, Verdict::kError) << obs.message;
  EXPECT_EQ(obs.facts["manager"], "dnf");
  std::set<std::pair<std::string, std::string>> all, security;
  for (const auto& u : obs.facts["updates"]) {
    auto key = std::make_pair(u["name"].get<std::string>() + "." + u["arch"].get<std::string>(),
                              u["candidate"].get<std::string>());
    all.insert(key);
    if (u["security"]) security.insert(key);
  }
  auto expected_all = DnfCheckUpdate(root, dir, false);
  auto expected_security = DnfCheckUpdate(root, dir, true);
  EXPECT_EQ(all, expected_all);
  EXPECT_EQ(security, expected_security);
  // What the fixture was built to show: an epoch, install-only kernels, a
  // tilde version, and advisories of every type.
  EXPECT_EQ(all.size(), 7u);
  EXPECT_EQ(security.size(), 4u);
  EXPECT_EQ(all.count({"openssl.x86_64", "1:3.0.7-27.el9"}), 1u);
  EXPECT_EQ(all.count({"foo-tools.x86_64", "1.2-1.el9"}), 1u);
}

// dnf.conf's exclude, a repository's excludepkgs, and a repository turned
// off with "enabled=Off": dnf's answer changes, and ours with it.
TEST(RpmFamilyTest, ExcludesAndDisabledRepositoriesAsDnfHasThem) {
  if (RunCommand({"dnf", "--version"}).exit_code != 0) {
    GTEST_SKIP() << "dnf is not installed here (Debian package dnf): no oracle";
  }
  TempDir dir;
  const std::string root = CopyOfFixture(dir);
  dir.Write("root/etc/dnf/dnf.conf",
            testing::ReadFileOrEmpty(root + "/etc/dnf/dnf.conf") + "exclude=bash curl\n");
  std::string repo = testing::ReadFileOrEmpty(root + "/etc/yum.repos.d/rocky.repo");
  repo.replace(repo.find("enabled=1", repo.find("[appstream]")), 9, "enabled=Off");
  repo.replace(repo.find("[baseos]"), 8, "[baseos]\nexcludepkgs=tz*,kernel-core");
  dir.Write("root/etc/yum.repos.d/rocky.repo", repo);
  auto env = EnvAt(root);
  auto ours = PendingCandidates(*env);
  EXPECT_EQ(ours, DnfCheckUpdate(root, dir, false));
  EXPECT_EQ(ours.size(), 2u);  // openssl, openssl-libs
}

// Adds `yaml` as appstream's module metadata, as modifyrepo_c would.
void AddModules(const TempDir& dir, const std::string& root, const std::string& yaml) {
  const std::string repodata = root + "/var/cache/dnf/appstream-25485261a76941d3/repodata";
  dir.Write("modules.yaml", yaml);
  ASSERT_EQ(
      RunCommand({"sh", "-c",
                  "gzip -n -c " + dir.Path("modules.yaml") + " > " + dir.Path("modules.yaml.gz")})
          .exit_code,
      0);
  ASSERT_EQ(root, dir.Path("root")) << "the fixture copy must live in `dir`";
  auto sha = [&](const std::string& f) { return RunCommand({"sha256sum", f}).out.substr(0, 64); };
  const std::string sum = sha(dir.Path("modules.yaml.gz"));
  const std::string gz = testing::ReadFileOrEmpty(dir.Path("modules.yaml.gz"));
  ASSERT_EQ(
      RunCommand({"cp", dir.Path("modules.yaml.gz"), repodata + "/" + sum + "-modules.yaml.gz"})
          .exit_code,
      0);
  std::string repomd = testing::ReadFileOrEmpty(repodata + "/repomd.xml");
  repomd.replace(repomd.find("</repomd>"), 9,
                 "  <data type=\"modules\">\n    <checksum type=\"sha256\">" + sum +
                     "</checksum>\n    <open-checksum type=\"sha256\">" +
                     sha(dir.Path("modules.yaml")) +
                     "</open-checksum>\n    <location href=\"repodata/" + sum +
                     "-modules.yaml.gz\"/>\n    <timestamp>1726113600</timestamp>\n    <size>" +
                     std::to_string(gz.size()) + "</size>\n    <open-size>" +
                     std::to_string(yaml.size()) + "</open-size>\n  </data>\n</repomd>");
  dir.Write("root/var/cache/dnf/appstream-25485261a76941d3/repodata/repomd.xml", repomd);
}

std::string Stream(const std::string& stream, const std::string& artifact) {
  return "---\ndocument: modulemd\nversion: 2\ndata:\n  name: foo\n  stream: \"" + stream +
         "\"\n  version: 9040020240501000000\n  context: 9edba152\n  arch: x86_64\n"
         "  summary: foo\n  description: foo\n  license:\n    module: [MIT]\n"
         "  artifacts:\n    rpms:\n    - " +
         artifact + "\n...\n";
}

// dnf's modular filtering, with dnf as the judge at every step: a stream's
// package is offered only while its stream is active (enabled, or the
// default), and an active stream hides same-named packages outside modules.
TEST(RpmFamilyTest, ModuleStreamsFilterCandidatesAsDnfDoes) {
  if (RunCommand({"dnf", "--version"}).exit_code != 0) {
    GTEST_SKIP() << "dnf is not installed here (Debian package dnf): no oracle";
  }
  TempDir dir;
  const std::string root = CopyOfFixture(dir);
  auto env = EnvAt(root);
  auto ours = [&] { return PendingCandidates(*env); };
  const std::pair<std::string, std::string> foo = {"foo-tools.x86_64", "1.2-1.el9"};
  // foo-tools 1.2-1 belongs to stream foo:2, which nothing enables.
  AddModules(dir, root, Stream("2", "foo-tools-0:1.2-1.el9.x86_64"));
  auto hidden = ours();
  EXPECT_EQ(hidden, DnfCheckUpdate(root, dir, false));
  EXPECT_EQ(hidden.count(foo), 0u);
  // Enabled.
  dir.Write("root/etc/dnf/modules.d/foo.module",
            "[foo]\nname=foo\nstream=2\nprofiles=\nstate=enabled\n");
  auto shown = ours();
  EXPECT_EQ(shown, DnfCheckUpdate(root, dir, false));
  EXPECT_EQ(shown.count(foo), 1u);
  // Disabled, but the default stream: still off, since the state says so.
  dir.Write("root/etc/dnf/modules.d/foo.module",
            "[foo]\nname=foo\nstream=\nprofiles=\nstate=disabled\n");
  EXPECT_EQ(ours(), DnfCheckUpdate(root, dir, false));
  EXPECT_EQ(ours().count(foo), 0u);
}

TEST(RpmFamilyTest, DefaultStreamsAndNamesHiddenBehindActiveStreamsAsDnfDoes) {
  if (RunCommand({"dnf", "--version"}).exit_code != 0) {
    GTEST_SKIP() << "dnf is not installed here (Debian package dnf): no oracle";
  }
  TempDir dir;
  const std::string root = CopyOfFixture(dir);
  auto env = EnvAt(root);
  auto ours = [&] { return PendingCandidates(*env); };
  // foo:2 is the default stream; tz:9 ships a tzdata (in no primary list)
  // and has no default.
  AddModules(dir, root,
             Stream("2", "foo-tools-0:1.2-1.el9.x86_64") +
                 "---\ndocument: modulemd-defaults\nversion: 1\ndata:\n  module: foo\n"
                 "  stream: \"2\"\n...\n"
                 "---\ndocument: modulemd\nversion: 2\ndata:\n  name: tz\n  stream: \"9\"\n"
                 "  version: 1\n  context: c\n  arch: noarch\n  summary: tz\n"
                 "  description: tz\n  license:\n    module: [MIT]\n  artifacts:\n    rpms:\n"
                 "    - tzdata-0:2099a-1.el9.noarch\n...\n");
  auto with_default = ours();
  EXPECT_EQ(with_default, DnfCheckUpdate(root, dir, false));
  EXPECT_EQ(with_default.count({"foo-tools.x86_64", "1.2-1.el9"}), 1u);
  EXPECT_EQ(with_default.count({"tzdata.noarch", "2024b-2.el9"}), 1u);
  // Enabling tz:9 hides the non-modular tzdata update behind it.
  dir.Write("root/etc/dnf/modules.d/tz.module",
            "[tz]\nname=tz\nstream=9\nprofiles=\nstate=enabled\n");
  auto hidden = ours();
  EXPECT_EQ(hidden, DnfCheckUpdate(root, dir, false));
  for (const auto& u : hidden) EXPECT_NE(u.first, "tzdata.noarch");
}

TEST(RpmFamilyTest, WithoutCachedMetadataPendingUpdatesAreNotApplicable) {
  TempDir dir;
  const std::string root = CopyOfFixture(dir);
  ASSERT_EQ(RunCommand({"rm", "-rf", root + "/var/cache/dnf"}).exit_code, 0);
  auto env = EnvAt(root);
  Observation obs = CollectOne("patch.pending_updates", *env);
  EXPECT_EQ(obs.verdict, Verdict::kNotApplicable);
  EXPECT_NE(obs.message.find("no cached dnf metadata"), std::string::npos) << obs.message;
}

TEST(RpmFamilyTest, BrokenMetadataIsAnErrorNamingTheFile) {
  TempDir dir;
  const std::string root = CopyOfFixture(dir);
  const std::string repodata = root + "/var/cache/dnf/baseos-522ed8e2b2f761ff/repodata/";
  CommandResult ls = RunCommand({"sh", "-c", "ls " + repodata + " | grep primary"});
  ASSERT_EQ(ls.exit_code, 0);
  const std::string primary = ls.out.substr(0, ls.out.find('\n'));
  // Truncated gzip.
  std::string data = testing::ReadFileOrEmpty(repodata + primary);
  dir.Write("root/var/cache/dnf/baseos-522ed8e2b2f761ff/repodata/" + primary,
            data.substr(0, data.size() / 2));
  auto env = EnvAt(root);
  Observation obs = CollectOne("patch.pending_updates", *env);
  EXPECT_EQ(obs.verdict, Verdict::kError);
  EXPECT_NE(obs.message.find(primary), std::string::npos) << obs.message;
  EXPECT_NE(obs.message.find("gzip"), std::string::npos) << obs.message;
}

TEST(RpmFamilyTest, RebootLastUpdateAndAutoUpdates) {
  TempDir dir;
  const std::string root = CopyOfFixture(dir);
  auto env = EnvAt(root);
  // Two kernel-core installed; the older one runs.
  Observation reboot = CollectOne("patch.reboot_required", *env);
  EXPECT_EQ(reboot.verdict, Verdict::kFail) << reboot.message;
  EXPECT_EQ(reboot.facts["running"], "5.14.0-427.13.1.el9_4.x86_64");
  EXPECT_EQ(reboot.facts["newest_installed"], "5.14.0-427.20.1.el9_4.x86_64");
  dir.Write("root/proc/sys/kernel/osrelease", "5.14.0-427.20.1.el9_4.x86_64\n");
  EXPECT_EQ(CollectOne("patch.reboot_required", *env).verdict, Verdict::kPass);

  // dnf's history says 2026-11-01 (upgrade -y dnf-automatic); the metadata
  // is as fresh as its repomd.xml files, touched here to now.
  ASSERT_EQ(
      RunCommand({"sh", "-c", "touch " + root + "/var/cache/dnf/*/repodata/repomd.xml"}).exit_code,
      0);
  Observation last = CollectOne("patch.last_update", *env);
  EXPECT_EQ(last.facts["last_package_change"]["at"], "2026-11-01T06:14:51Z");
  EXPECT_EQ(last.facts["last_package_change"]["dnf_command"], "upgrade -y dnf-automatic");
  EXPECT_EQ(last.facts["index_age_days"], 0);
  const int64_t change = 1793513691;  // 2026-11-01T06:14:51Z
  const bool old = env->NowMicros() / 1'000'000 - change > 30 * 86400;
  EXPECT_EQ(last.verdict, old ? Verdict::kFail : Verdict::kPass) << last.message;

  Observation automatic = CollectOne("patch.auto_updates", *env);
  EXPECT_EQ(automatic.verdict, Verdict::kPass) << automatic.message;
  EXPECT_EQ(automatic.facts["upgrade_type"], "security");
  EXPECT_EQ(automatic.facts["timer_enabled"], true);
  ASSERT_EQ(
      ::unlink((root + "/etc/systemd/system/timers.target.wants/dnf-automatic.timer").c_str()), 0);
  Observation off = CollectOne("patch.auto_updates", *env);
  EXPECT_EQ(off.verdict, Verdict::kFail);
  EXPECT_NE(off.message.find("dnf-automatic.timer"), std::string::npos) << off.message;
}

TEST(IniTest, SectionsContinuationsAndErrors) {
  auto ini = ParseIni(
      "# comment\n[baseos]\nName = Rocky\nbaseurl = http://a/\n  http://b/\n; x\n"
      "enabled=0\n\n[appstream]\nenabled = 1\n",
      "r.repo");
  ASSERT_TRUE(ini.ok()) << ini.status().message();
  ASSERT_EQ(ini->size(), 2u);
  EXPECT_EQ((*ini)[0].Get("name"), "Rocky");
  EXPECT_EQ((*ini)[0].Get("baseurl"), "http://a/\nhttp://b/");
  EXPECT_EQ((*ini)[0].Get("enabled"), "0");
  EXPECT_EQ((*ini)[1].line, 9);
  auto early = ParseIni("enabled=1\n[a]\n", "r.repo");
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().message(), "r.repo:1: key = value before any [section]");
  auto stray = ParseIni("[a]\nkey\n", "r.repo");
  ASSERT_FALSE(stray.ok());
  EXPECT_EQ(stray.status().message().rfind("r.repo:2: ", 0), 0u);
}

TEST(DnfMetadataTest, DecompressesEveryFormatAndRefusesBombs) {
  const std::string lists = FixturePath("debian12-patch") + "/var/lib/apt/lists/";
  for (const char* name :
       {"deb.debian.org_debian_dists_trixie_main_binary-amd64_Packages.xz",
        "deb.debian.org_debian_dists_experimental_main_binary-amd64_Packages.zst",
        "deb.debian.org_debian-security_dists_bookworm-security_main_binary-"
        "amd64_Packages.gz",
        "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"}) {
    std::string data = testing::ReadFileOrEmpty(lists + name);
    ASSERT_FALSE(data.empty()) << name;
    auto plain = Decompress(data, name, 1 << 20);
    ASSERT_TRUE(plain.ok()) << name << ": " << plain.status().message();
    EXPECT_EQ(plain->rfind("Package: ", 0), 0u) << name;
    // Cut in half, every compressed format is an error naming the file.
    if (std::string_view(name).ends_with("Packages")) continue;
    auto cut = Decompress(data.substr(0, data.size() / 2), name, 1 << 20);
    ASSERT_FALSE(cut.ok()) << name;
    EXPECT_NE(cut.status().message().find(name), std::string::npos);
  }
  TempDir dir;
  dir.Write("zeros", std::string(4 << 20, '\0'));
  ASSERT_EQ(RunCommand({"gzip", "-n", dir.Path("zeros")}).exit_code, 0);
  auto bomb = Decompress(testing::ReadFileOrEmpty(dir.Path("zeros.gz")), "zeros.gz", 1 << 20);
  ASSERT_FALSE(bomb.ok());
  EXPECT_NE(bomb.status().message().find("decompresses to more than 1048576 bytes"),
            std::string::npos);
}

TEST(DnfMetadataTest, ParsersNameFileAndLine) {
  auto repomd = ParseRepomd("<repomd>\n<data type=\"primary\">\n<location href=\"a\"/>\n</data",
                            "repomd.xml");
  ASSERT_FALSE(repomd.ok());
  EXPECT_EQ(repomd.status().message().rfind("repomd.xml:4: ", 0), 0u) << repomd.status().message();
  auto info = ParseUpdateinfo(
      "<updates><update type=\"security\"><id>X-1</id><severity>Low</severity><pkglist>"
      "<collection><package name=\"a\" arch=\"noarch\" epoch=\"0\" version=\"1\" release=\"2\"/>"
      "</collection></pkglist></update></updates>",
      "u.xml");
  ASSERT_TRUE(info.ok()) << info.status().message();
  ASSERT_EQ(info->size(), 1u);
  EXPECT_EQ((*info)[0].id, "X-1");
  EXPECT_EQ((*info)[0].packages.at(0).evr.release.value_or(""), "2");
  EXPECT_FALSE(Decompress(std::string("\x1f\x8b\x08\x00", 4), "x.gz", 1 << 20).ok());
  TempDir dir;
  dir.Write("etc/yum.repos.d/bad.repo", "[ok]\nenabled=1\n[broken\n");
  auto env = EnvAt(dir.path());
  auto repos = LoadDnfRepos(*env);
  ASSERT_FALSE(repos.ok());
  EXPECT_NE(repos.status().message().find("bad.repo (in root " + dir.path() + "):3: "),
            std::string::npos)
      << repos.status().message();
}

// yaml-cpp's LoadAll yields documents forever on ",\n- 5" (found by the
// fuzz replay, 24 GB before the OOM killer): documents are split first.
TEST(DnfMetadataTest, ModuleYamlIsReadOneDocumentAtATime) {
  ModuleIndex index;
  // Returning at all is the test (the old code never did); nothing is a module.
  (void)ParseModulesYaml(",\n- 5", "m.yaml", &index);
  EXPECT_TRUE(index.artifacts.empty());
  const std::string two =
      "---\ndocument: modulemd\nversion: 2\ndata:\n  name: nodejs\n  stream: \"18\"\n"
      "  artifacts:\n    rpms:\n    - nodejs-1:18.19.0-1.module+el9.x86_64\n...\n"
      "---\ndocument: modulemd-defaults\nversion: 1\ndata:\n  module: nodejs\n  stream: "
      "\"18\"\n...\n--- {document: modulemd, data: {name: php, stream: \"8.1\"}}\n";
  ASSERT_TRUE(ParseModulesYaml(two, "m.yaml", &index).ok());
  EXPECT_EQ(index.defaults["nodejs"], "18");
  EXPECT_EQ((index.artifacts[{"nodejs", "18"}].size()), 1u);
  EXPECT_TRUE((index.artifacts.contains({"php", "8.1"})));
  Status bad = ParseModulesYaml("---\ndocument: modulemd\n---\na: [1\n", "m.yaml", &index);
  ASSERT_FALSE(bad.ok());
  // Where yaml-cpp notices: the end of the input, line 5 of the file.
  EXPECT_EQ(bad.message().rfind("m.yaml:5:", 0), 0u) << bad.message();
}

}  // namespace
}  // namespace shoko::collectors::patch
