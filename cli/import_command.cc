#include "cli/import_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>

#include "cli/store_client.h"
#include "cli/verify_command.h"
#include "evidence/chain.h"
#include "evidence/encoding.h"
#include "evidence/keys.h"
#include "evidence/upload_client.h"
#include "platform/exit_code.h"
#include "platform/local_files.h"
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

// One agent's records from the files, all of them from seq 1 whatever the
// store holds: it acks an identical record again and refuses another one at
// the same seq (a fork), which must not pass unnoticed.
class BatchSource final : public evidence::UploadSource {
 public:
  explicit BatchSource(const AgentBatch& batch) : batch_(batch) {}
  Result<uint64_t> Start(const evidence::ChainHead&) override { return 0; }
  Result<std::vector<evidence::OutgoingRecord>> After(uint64_t after, size_t max) override {
    std::vector<evidence::OutgoingRecord> records;
    for (auto it = batch_.records.upper_bound(after);
         it != batch_.records.end() && records.size() < max; ++it) {
      records.push_back({it->first, *it->second});
    }
    return records;
  }

 private:
  const AgentBatch& batch_;
};

// One upload for one agent; says how it went on `out` or `err`.
Status SendAgent(const StoreChannel& store, const std::string& agent_id, const AgentBatch& batch,
                 std::ostream& out) {
  evidence::UploadHello hello{agent_id, batch.first_key,
                              std::string("shokoctl import ") + kShokoVersion};
  evidence::UploadOptions options;
  options.upload_timeout = std::chrono::minutes(10);
  BatchSource source(batch);
  SHOKO_ASSIGN_OR_RETURN(auto result,
                         evidence::Upload(store.channel, store.address, hello, source, options));
  const auto held = std::count_if(batch.records.begin(), batch.records.end(),
                                  [&](const auto& r) { return r.first <= result.durable; });
  out << "agent " << agent_id << ": sent " << result.sent << " record(s) (" << held
      << " already held), the store holds through seq " << result.acked << "\n";
  return Status::OK();
}

// The files' records by agent, verified first. Without --agent-key, each
// agent's declared first key is trusted, as the store does on first contact.
// Problems are listed on `err`: Corruption when any record has one other than
// a gap.
Result<std::map<std::string, AgentBatch>> VerifiedBatches(std::vector<evidence::PublicKey> trusted,
                                                          const DsseRecords& records,
                                                          std::ostream& err) {
  const std::vector<evidence::VerifyInput>& inputs = records.inputs;
  if (trusted.empty()) {
    for (const auto& input : inputs) {
      if (!input.envelope) continue;
      if (auto k = DeclaredFirstKey(*input.envelope)) trusted.push_back(*k);
    }
  }
  evidence::VerifyReport report = evidence::VerifyChains(inputs, trusted);
  bool refused = !records.file_problems.empty();
  for (const std::string& problem : records.file_problems) err << "shokoctl: " << problem << "\n";
  std::map<std::string, AgentBatch> agents;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& finding = report.findings[i];
    if (finding && finding->problem != evidence::Problem::kGap) {
      refused = true;
      err << "shokoctl: " << FormatFinding(records, i, *finding) << "\n";
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
    return Status::Corruption("nothing was imported: fix or remove the records above");
  }
  return agents;
}

}  // namespace

int RunImport(const ImportRequest& request, std::ostream& out, std::ostream& err) {
  if (request.files.empty()) {
    return Fail(Status::InvalidArgument("import needs at least one FILE"), err);
  }
  auto keys = LoadPublicKeys(request.key_files);
  if (!keys.ok()) return Fail(keys.status().WithContext("--agent-key"), err);
  auto records = ReadDsseFiles(request.files);
  if (!records.ok()) return Fail(records.status(), err);
  auto agents = VerifiedBatches(std::move(keys).value(), *records, err);
  if (!agents.ok()) return Fail(agents.status(), err);
  auto store = ConnectToStore(request.connection);
  if (!store.ok()) return Fail(store.status(), err);
  int worst = kExitOk;
  for (const auto& [agent_id, batch] : *agents) {
    Status sent = SendAgent(*store, agent_id, batch, out);
    if (sent.ok()) continue;
    const int code = Fail(sent.WithContext("agent " + agent_id), err);
    worst = std::max(worst, code);
    if (code == kExitUnreachable) break;  // the store is gone: no point trying the others
  }
  return worst;
}

void AddImportCommand(CLI::App& app, Commands& commands) {
  auto request = std::make_shared<ImportRequest>();
  CLI::App* import = AddStoreCommand(
      app, "import",
      "Send files collected offline to a store, which verifies them like a live upload.",
      &request->connection);
  import
      ->add_option("--agent-key", request->key_files,
                   "An agent's first public key (PEM); repeatable (default: each agent's declared "
                   "first key).")
      ->type_name("PUB")
      ->allow_extra_args(false);  // one value per occurrence: positionals stay positional
  import->add_option("files", request->files, "DSSE JSON-lines files.")->type_name("FILE");
  commands.On(import, [request](std::ostream& out, std::ostream& err) {
    return RunImport(*request, out, err);
  });
}

}  // namespace shoko::cli
