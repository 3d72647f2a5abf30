#include "cli/import_command.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "cli/store_client.h"
#include "cli/verify_command.h"
#include "evidence/chain.h"
#include "evidence/encoding.h"
#include "evidence/keys.h"
#include "platform/local_files.h"
#include "shoko/v1/ingest.grpc.pb.h"
#include "shoko/version.h"

namespace shoko::cli {
namespace {

// The key an agent's start record declares, when its id is the agent's (the
// first key): what a store registers on first contact.
std::optional<evidence::PublicKey> DeclaredFirstKey(const v1::Envelope& envelope) {
  v1::Evidence ev;
  if (!ev.ParseFromString(envelope.payload()) || ev.kind() != v1::LIFECYCLE) return std::nullopt;
  auto it = ev.facts().fields().find("public_key");
  if (it == ev.facts().fields().end()) return std::nullopt;
  auto raw = evidence::Base64Decode(it->second.string_value());
  if (!raw.ok()) return std::nullopt;
  auto key = evidence::PublicKey::FromRaw(*raw);
  if (!key.ok() || key->KeyId() != ev.agent_id()) return std::nullopt;
  return *key;
}

struct AgentBatch {
  std::optional<evidence::PublicKey> first_key;
  std::map<uint64_t, const v1::Envelope*> records;  // by seq
};

// One Upload stream for one agent. Returns the exit code.
int SendAgent(v1::EvidenceIngest::Stub& stub, const std::string& address,
              const std::string& agent_id, const AgentBatch& batch, std::ostream& out,
              std::ostream& err) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
  auto stream = stub.Upload(&ctx);
  v1::UploadRequest hello;
  hello.mutable_hello()->set_protocol_version(1);
  hello.mutable_hello()->set_agent_id(agent_id);
  hello.mutable_hello()->set_agent_version(std::string("shokoctl import ") + kShokoVersion);
  if (batch.first_key) {
    hello.mutable_hello()->set_key_id(batch.first_key->KeyId());
    hello.mutable_hello()->set_public_key(batch.first_key->raw());
  }
  v1::UploadResponse answer;
  if (!stream->Write(hello) || !stream->Read(&answer) || !answer.has_hello_ack()) {
    grpc::Status s = stream->Finish();
    err << "shokoctl: store " << address << ": agent " << agent_id << ": " << s.error_message()
        << "\n";
    return s.error_code() == grpc::StatusCode::UNAVAILABLE ? 3 : 1;
  }
  const uint64_t durable = answer.hello_ack().durable_seq();
  std::mutex mu;
  std::condition_variable cv;
  uint64_t acked = durable;
  std::thread reader([&] {
    v1::UploadResponse resp;
    while (stream->Read(&resp)) {
      if (!resp.has_ack()) continue;
      std::lock_guard<std::mutex> lock(mu);
      acked = std::max(acked, resp.ack().acked_seq());
      cv.notify_all();
    }
  });
  uint64_t sent = 0, last = durable;
  uint64_t held = 0;
  for (const auto& [seq, envelope] : batch.records) {
    // Records the store holds go too: it acks an identical one again and
    // refuses another record at the same seq (a fork), which must not pass
    // unnoticed.
    if (seq <= durable) ++held;
    v1::UploadRequest req;
    *req.mutable_envelope() = *envelope;
    if (!stream->Write(req)) break;
    ++sent;
    last = seq;
  }
  stream->WritesDone();
  reader.join();
  grpc::Status status = stream->Finish();
  if (!status.ok()) {
    err << "shokoctl: store " << address << " refused agent " << agent_id
        << "'s records: " << status.error_message() << "\n";
    return status.error_code() == grpc::StatusCode::UNAVAILABLE ? 3 : 1;
  }
  if (acked < last) {
    err << "shokoctl: store " << address << " acknowledged agent " << agent_id
        << " only through seq " << acked << " of " << last << "\n";
    return 1;
  }
  out << "agent " << agent_id << ": sent " << sent << " record(s) (" << held
      << " already held), the store holds through seq " << acked << "\n";
  return 0;
}

}  // namespace

int RunImport(const ImportRequest& request, std::ostream& out, std::ostream& err) {
  if (request.files.empty()) {
    err << "shokoctl: import needs at least one FILE\n";
    return 2;
  }
  auto keys = LoadPublicKeys(request.key_files);
  if (!keys.ok()) {
    err << "shokoctl: --agent-key " << keys.status().message() << "\n";
    return 2;
  }
  auto records = ReadDsseFiles(request.files);
  if (!records.ok()) {
    err << "shokoctl: " << records.status().message() << "\n";
    return 2;
  }
  const std::vector<evidence::VerifyInput>& inputs = records->inputs;
  // Without --key, trust each agent's declared first key, as the store does
  // on first contact until enrollment exists.
  std::vector<evidence::PublicKey> trusted = *keys;
  if (keys->empty()) {
    for (const auto& input : inputs) {
      if (!input.envelope) continue;
      if (auto k = DeclaredFirstKey(*input.envelope)) trusted.push_back(*k);
    }
  }
  evidence::VerifyReport report = evidence::VerifyChains(inputs, trusted);
  bool refused = false;
  std::map<std::string, AgentBatch> agents;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& finding = report.findings[i];
    if (finding && finding->problem != evidence::Problem::kGap) {
      refused = true;
      err << "shokoctl: " << FormatFinding(*records, i, *finding) << "\n";
      continue;
    }
    auto ev = evidence::ParseEvidence(inputs[i].envelope->payload());
    AgentBatch& batch = agents[ev->agent_id()];
    batch.records[ev->seq()] = &*inputs[i].envelope;
    for (const evidence::PublicKey& k : trusted) {
      if (k.KeyId() == ev->agent_id()) batch.first_key = k;
    }
  }
  if (refused) {
    err << "shokoctl: nothing was imported: fix or remove the records above\n";
    return 1;
  }
  std::string address_text;
  auto channel = ConnectToStore(request.connection, &address_text, err);
  if (!channel) return 2;
  const std::string* address = &address_text;
  auto stub = v1::EvidenceIngest::NewStub(channel);
  int worst = 0;
  for (const auto& [agent_id, batch] : agents) {
    int code = SendAgent(*stub, *address, agent_id, batch, out, err);
    worst = std::max(worst, code);
    if (code == 3) break;  // the store is gone: no point trying the others
  }
  return worst;
}

}  // namespace shoko::cli
