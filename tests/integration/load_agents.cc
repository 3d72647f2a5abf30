// A load generator: N agents, each with a chain of M pre-signed records,
// uploading at once over N concurrent streams to a real store. Used by the
// 200-agent test and by the ingest benchmark. Prints one line:
//   agents=N records=M seconds=S records_per_second=R generator_cpu_seconds=C
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <optional>
#include <cstdio>
#include <thread>
#include <vector>

#include "evidence/chain.h"
#include "evidence/envelope.h"
#include "evidence/keys.h"
#include "shoko/v1/ingest.grpc.pb.h"

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

// One agent's upload: writes everything, reads acks until the last is acked.
bool Upload(v1::EvidenceIngest::Stub& stub, const Agent& agent, std::string* error) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
  auto stream = stub.Upload(&ctx);
  v1::UploadRequest hello;
  hello.mutable_hello()->set_protocol_version(1);
  hello.mutable_hello()->set_agent_id(agent.key.public_key().KeyId());
  hello.mutable_hello()->set_key_id(agent.key.public_key().KeyId());
  hello.mutable_hello()->set_public_key(agent.key.public_key().raw());
  v1::UploadResponse resp;
  if (!stream->Write(hello) || !stream->Read(&resp)) {
    *error = stream->Finish().error_message();
    return false;
  }
  const uint64_t last = agent.records.size();
  std::atomic<uint64_t> acked{0};
  std::thread reader([&] {
    v1::UploadResponse r;
    while (stream->Read(&r)) {
      if (r.has_ack()) acked = r.ack().acked_seq();
    }
  });
  for (const v1::Envelope& e : agent.records) {
    v1::UploadRequest req;
    *req.mutable_envelope() = e;
    if (!stream->Write(req)) break;
  }
  stream->WritesDone();
  reader.join();
  grpc::Status s = stream->Finish();
  if (!s.ok() || acked != last) {
    *error = s.ok() ? "acked " + std::to_string(acked) + " of " + std::to_string(last) : s.error_message();
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"shoko_load_agents: many agents uploading pre-signed chains at once"};
  std::string store;
  int agents = 200, records = 1000;
  app.add_option("--store", store)->required();
  app.add_option("--agents", agents);
  app.add_option("--records", records);
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
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  auto channel = grpc::CreateCustomChannel(store, grpc::InsecureChannelCredentials(), args);
  auto stub = shoko::v1::EvidenceIngest::NewStub(channel);
  const double cpu_before = CpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  std::atomic<int> failed{0};
  std::vector<std::thread> uploads;
  for (const std::optional<Agent>& a : fleet) {
    uploads.emplace_back([&, ptr = &*a] {
      std::string error;
      if (!Upload(*stub, *ptr, &error)) {
        if (failed++ == 0) std::fprintf(stderr, "upload failed: %s\n", error.c_str());
      }
    });
  }
  for (auto& u : uploads) u.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double total = static_cast<double>(agents) * records;
  std::printf("agents=%d records=%d seconds=%.3f records_per_second=%.0f generator_cpu_seconds=%.3f\n",
              agents, records, seconds, total / seconds, CpuSeconds() - cpu_before);
  return failed == 0 ? 0 : 1;
}
