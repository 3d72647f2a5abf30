#include "agent/config.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace shoko::agent {
namespace {

using testing::TempDir;

TEST(AgentConfigTest, LoadsEveryKey) {
  TempDir dir;
  std::string path = dir.Write("agent.yaml", R"(state_dir: /tmp/state
root: /srv/image
interval: 15m
refresh: 12h
heartbeat: 5m
store:
  address: 127.0.0.1:7443
  insecure_loopback: true
  connect_timeout: 2s
  upload_timeout: 1m
  log_key: /etc/shoko/log.vkey
  inclusion_timeout: 2m
collectors: [access]
mapping: /etc/shoko/mapping.yaml
labels:
  service: payroll
  group: web
  environment: prod
)");
  auto c = LoadAgentConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->state_dir, "/tmp/state");
  EXPECT_EQ(c->root, "/srv/image");
  EXPECT_EQ(c->interval.count(), 900);
  EXPECT_EQ(c->refresh.count(), 43200);
  EXPECT_EQ(c->heartbeat.count(), 300);
  EXPECT_EQ(c->store_log_key, "/etc/shoko/log.vkey");
  EXPECT_EQ(c->inclusion_timeout.count(), 120);
  EXPECT_EQ(c->store_address, "127.0.0.1:7443");
  EXPECT_EQ(c->connect_timeout.count(), 2);
  EXPECT_EQ(c->upload_timeout.count(), 60);
  EXPECT_EQ(c->collectors, std::vector<std::string>{"access"});
  EXPECT_EQ(c->mapping_file, "/etc/shoko/mapping.yaml");
  EXPECT_EQ(c->label_service, "payroll");
  EXPECT_EQ(c->label_environment, "prod");
}

TEST(AgentConfigTest, StoreIsOptionalForCollection) {
  TempDir dir;
  auto c = LoadAgentConfig(dir.Write("agent.yaml", "root: /\n"));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->store_address.empty());
  // The defaults: a heartbeat every 15 minutes, inclusion within 10, no
  // log key but the one enrollment pins.
  EXPECT_EQ(c->heartbeat.count(), 900);
  EXPECT_EQ(c->inclusion_timeout.count(), 600);
  EXPECT_TRUE(c->store_log_key.empty());
}

struct BadConfig {
  const char* text;
  const char* message;  // the exact error after "PATH:"
};

TEST(AgentConfigTest, BadConfigsNameFileLineAndField) {
  const BadConfig cases[] = {
      {"root: /\nintervall: 1h\n",
       "2: unknown key 'intervall' in agent config (known: state_dir, root, store, interval, "
       "refresh, heartbeat, collectors, mapping, baseline, catalog, checks_dir, labels, outbox, "
       "signing_threads)"},
      {"heartbeat: 0s\n", "1: heartbeat: '0s' is not a duration (examples: 90s, 15m, 1h, 7d)"},
      {"store:\n  address: 127.0.0.1:7443\n  insecure_loopback: true\n  inclusion_timeout: "
       "never\n",
       "4: store.inclusion_timeout: 'never' is not a duration (examples: 90s, 15m, 1h, 7d)"},
      {"interval: soon\n", "1: interval: 'soon' is not a duration (examples: 90s, 15m, 1h, 7d)"},
      {"store:\n  address: 127.0.0.1\n  insecure_loopback: true\n",
       "2: store.address: '127.0.0.1' is not an address of the form HOST:PORT (e.g. "
       "127.0.0.1:7443)"},
      {"store:\n  address: 10.1.2.3:7443\n  insecure_loopback: true\n",
       "2: store.address: plaintext is allowed only to a loopback address, not '10.1.2.3'"},
      {"store:\n  address: 127.0.0.1:7443\n",
       "2: store: 'ca' (the deployment CA certificate) is required, or 'insecure_loopback: true' "
       "for plaintext to a loopback store"},
      {"store:\n  address: 127.0.0.1:7443\n  insecure_loopback: true\n  ca: /ca.crt\n",
       "2: store: choose TLS (ca, cert, key) or insecure_loopback, not both"},
      {"store:\n  address: 127.0.0.1:7443\n  insecure_loopback: yes please\n",
       "3: store.insecure_loopback: expected true or false"},
      {"collectors: access\n", "1: collectors: expected a list"},
      {"root: [a, b]\n", "1: root: expected a string"},
      {"labels:\n  team: x\n",
       "2: unknown key 'team' in labels (known: service, group, environment)"},
      {"root: /\n  bad: indent\n", "2: illegal map value"},
  };
  for (const BadConfig& bad : cases) {
    TempDir dir;
    std::string path = dir.Write("agent.yaml", bad.text);
    auto c = LoadAgentConfig(path);
    ASSERT_FALSE(c.ok()) << bad.text;
    EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument) << bad.text;
    EXPECT_EQ(c.status().message(), path + ":" + bad.message) << bad.text;
  }
}

TEST(AgentConfigTest, MissingFileIsNotFound) {
  auto c = LoadAgentConfig("/nonexistent/agent.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().IsNotFound());
  EXPECT_NE(c.status().message().find("/nonexistent/agent.yaml"), std::string::npos);
}

}  // namespace
}  // namespace shoko::agent
