// A load generator: N agents, each with a chain of M pre-signed records,
// uploading at once over N concurrent streams to a real store, each keeping at
// most --window records unacked as the agent's uploader does. Used by the
// 200-agent test and by the ingest benchmark. Prints one line:
//   agents=N records=M seconds=S records_per_second=R generator_cpu_seconds=C
//   ack_p50_ms=P ack_p99_ms=Q
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "evidence/chain.h"
#include "evidence/envelope.h"
#include "evidence/keys.h"
#include "evidence/upload_client.h"

namespace {

using namespace shoko;

struct Agent {
  evidence::SigningKey key;
  std::vector<v1::Envelope> records;
};

Agent MakeAgent(int records) {
  Agent a{*evidence::SigningKey::Generate(), {}};
  evidence::ChainHead head;
  for (int i = 1; i <= records; ++i) {
    v1::Evidence ev;
    ev.set_agent_id(a.key.public_key().KeyId());
    ev.set_key_id(a.key.public_key().KeyId());
    ev.set_seq(static_cast<uint64_t>(i));
    ev.set_prev_digest(head.digest);
    ev.set_check_id("load.check" + std::to_string(i % 10));
    ev.add_controls("ismap:8.8");
    ev.set_verdict(v1::PASS);
    ev.mutable_collected_at()->set_seconds(1'800'000'000 + i);
    (*ev.mutable_facts()->mutable_fields())["n"].set_number_value(i);
    std::string payload = ev.SerializeAsString();
    head = {ev.seq(), evidence::RecordDigest(payload)};
    a.records.push_back(*evidence::Sign(a.key, std::move(payload)));
  }
  return a;
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// One agent's pre-signed chain as what an upload sends, timing each record
// from its send to its ack.
class ChainSource final : public evidence::UploadSource {
 public:
  ChainSource(const Agent& agent, std::vector<int64_t>* latencies)
      : agent_(agent), latencies_(latencies), sent_(agent.records.size() + 1) {}

  Result<uint64_t> Start(const evidence::ChainHead& durable) override { return durable.seq; }
  Result<std::vector<evidence::OutgoingRecord>> After(uint64_t after, size_t max) override {
    std::vector<evidence::OutgoingRecord> records;
    for (uint64_t seq = after + 1; seq <= agent_.records.size() && records.size() < max; ++seq) {
      records.push_back({seq, agent_.records[seq - 1]});
    }
    return records;
  }
  void Sending(uint64_t seq) override {
    std::lock_guard<std::mutex> lock(mu_);
    sent_[seq] = Clock::now();
  }
  Status Acked(uint64_t seq) override {
    const auto now = Clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    for (uint64_t s = acked_ + 1; s <= seq && s < sent_.size(); ++s) {
      latencies_->push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(now - sent_[s]).count());
    }
    acked_ = std::max(acked_, seq);
    return Status::OK();
  }

 private:
  using Clock = std::chrono::steady_clock;
  const Agent& agent_;
  std::vector<int64_t>* latencies_;
  std::mutex mu_;
  std::vector<Clock::time_point> sent_;  // by seq
  uint64_t acked_ = 0;
};

// One agent's upload through the agent's own upload client, at most `window`
// records unacked. Appends each record's send→ack latency (microseconds) to
// `latencies`.
Status Upload(const std::shared_ptr<grpc::Channel>& channel, const std::string& store,
              const Agent& agent, size_t window, std::vector<int64_t>* latencies) {
  ChainSource source(agent, latencies);
  evidence::UploadOptions options;
  options.window = window;
  options.upload_timeout = std::chrono::minutes(10);
  const evidence::UploadHello hello{agent.key.public_key().KeyId(), agent.key.public_key(), ""};
  return evidence::Upload(channel, store, hello, source, options).status();
}

// Each agent's public key as DIR/AGENT_ID.pub (PEM), for `shokoctl verify
// --key` of what the store later exports.
bool WritePublicKeys(const std::string& dir, const std::vector<std::optional<Agent>>& fleet) {
  for (const std::optional<Agent>& a : fleet) {
    std::ofstream out(dir + "/" + a->key.public_key().KeyId() + ".pub");
    out << a->key.public_key().ToPem();
    if (!out.flush()) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"shoko_load_agents: many agents uploading pre-signed chains at once"};
  std::string store;
  int agents = 200, records = 1000;
  size_t window = 64;
  app.add_option("--store", store)->required();
  app.add_option("--window", window, "Records unacked at once per agent, as the agent's uploader.");
  app.add_option("--agents", agents);
  app.add_option("--records", records);
  std::string public_keys;
  app.add_option("--public-keys", public_keys,
                 "Write each agent's public key to DIR/AGENT_ID.pub.");
  CLI11_PARSE(app, argc, argv);

  // Signing is done before the clock starts: the store's work is measured.
  std::vector<std::optional<Agent>> fleet(static_cast<size_t>(agents));
  {
    std::vector<std::thread> makers;
    const int cores = std::max(1u, std::thread::hardware_concurrency());
    for (int t = 0; t < cores; ++t) {
      makers.emplace_back([&, t] {
        for (int i = t; i < agents; i += cores) fleet[static_cast<size_t>(i)] = MakeAgent(records);
      });
    }
    for (auto& m : makers) m.join();
  }
  if (!public_keys.empty() && !WritePublicKeys(public_keys, fleet)) {
    std::fprintf(stderr, "cannot write the public keys to %s\n", public_keys.c_str());
    return 1;
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  auto channel = grpc::CreateCustomChannel(store, grpc::InsecureChannelCredentials(), args);
  const double cpu_before = CpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  std::atomic<int> failed{0};
  std::vector<std::thread> uploads;
  std::vector<std::vector<int64_t>> latencies(fleet.size());
  for (size_t i = 0; i < fleet.size(); ++i) {
    uploads.emplace_back([&, i] {
      Status s = Upload(channel, store, *fleet[i], window, &latencies[i]);
      if (!s.ok() && failed++ == 0)
        std::fprintf(stderr, "upload failed: %s\n", s.message().c_str());
    });
  }
  for (auto& u : uploads) u.join();
  std::vector<int64_t> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty()
               ? 0.0
               : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))] / 1000.0;
  };
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double total = static_cast<double>(agents) * records;
  std::printf(
      "agents=%d records=%d seconds=%.3f records_per_second=%.0f generator_cpu_seconds=%.3f "
      "ack_p50_ms=%.1f ack_p99_ms=%.1f\n",
      agents, records, seconds, total / seconds, CpuSeconds() - cpu_before, pct(0.50), pct(0.99));
  return failed == 0 ? 0 : 1;
}
