#include "cli/export_command.h"

#include <CLI/CLI.hpp>
#include <set>

#include "cli/bundle_export.h"
#include "cli/evidence_command.h"
#include "cli/log_client.h"
#include "controls/control_ref.h"
#include "evidence/bundle.h"
#include "evidence/envelope.h"
#include "evidence/note.h"
#include "platform/exit_code.h"
#include "platform/local_files.h"
#include "platform/time_format.h"
#include "shoko/v1/audit.pb.h"

namespace shoko::cli {
namespace {

// What an export holds, to say so once it is written.
struct Exported {
  std::string text;
  uint64_t records = 0;
  std::set<std::string> agents;
  std::vector<std::string> lines;     // what it covers, said on stdout
  std::vector<std::string> warnings;  // what keeps it from verifying whole, on stderr
  std::string empty_why;              // why nothing is exported, when nothing is
};

v1::ListEvidenceRequest Listing(const ExportRequest& request) {
  v1::ListEvidenceRequest listing;
  listing.set_agent_id(request.agent);
  listing.set_control_ref(request.control);
  return listing;
}

// The listed envelopes as DSSE JSON lines, in the store's order.
Result<Exported> ExportDsse(const StoreChannel& store, const ExportRequest& request) {
  Exported exported;
  SHOKO_RETURN_IF_ERROR(ListStoredEvidence(
      store, Listing(request), kExportDeadline, [&](const v1::StoredEvidence& stored) {
        exported.text += evidence::ToDsseJson(stored.envelope());
        exported.text += '\n';
        ++exported.records;
        if (v1::Evidence ev; ev.ParseFromString(stored.envelope().payload())) {
          exported.agents.insert(ev.agent_id());
        }
        return Status::OK();
      }));
  return exported;
}

// A checkpoint note is one short text; anything much longer is not one.
constexpr size_t kMaxKeptCheckpointBytes = 64 * 1024;

// The size of the checkpoint the auditor kept. Its signature is the
// verifier's to check; the export only needs to know what to prove from.
Result<uint64_t> KeptCheckpointSize(const std::string& path) {
  SHOKO_ASSIGN_OR_RETURN(std::string text, platform::ReadLocalFile(path, kMaxKeptCheckpointBytes));
  auto note = evidence::ParseNote(text);
  Result<evidence::Checkpoint> body =
      note.ok() ? evidence::ParseCheckpointBody(note->body) : note.status();
  if (!body.ok()) {
    return Status::InvalidArgument(path + ": not a checkpoint: " + body.status().message());
  }
  return body->tree_size;
}

// The consistency proof from the kept checkpoint to the bundle's of `size`.
Status AddConsistency(LogClient& log, const std::string& previous, uint64_t size,
                      evidence::Bundle* bundle) {
  auto from = KeptCheckpointSize(previous);
  if (!from.ok()) return from.status().WithContext("--previous");
  if (*from > size) {
    return Status::Corruption("--previous " + previous + ": the kept checkpoint of " +
                              std::to_string(*from) +
                              " leaves is larger than the store's latest (" + std::to_string(size) +
                              " leaves): the log shrank, or is not the one kept");
  }
  if (*from == 0 || *from == size) return Status::OK();  // nothing to prove
  SHOKO_ASSIGN_OR_RETURN(v1::ConsistencyProof proof, log.ConsistencyProof(*from, size));
  bundle->consistency.push_back({*from, Hashes(proof.hashes())});
  return Status::OK();
}

// Per agent, the seqs from its first to its last record mapped to the
// control that the checkpoint holds: a bundle proves whole ranges, so it
// holds every record between them.
Result<AgentRanges> ControlRanges(const StoreChannel& store,
                                  const v1::ListEvidenceRequest& listing) {
  AgentRanges ranges;
  SHOKO_RETURN_IF_ERROR(
      ListStoredEvidence(store, listing, kExportDeadline, [&](const v1::StoredEvidence& stored) {
        v1::Evidence ev;
        if (stored.leaf().agent_id().empty() || !ev.ParseFromString(stored.envelope().payload())) {
          return Status::OK();
        }
        auto [range, added] =
            ranges.try_emplace(ev.agent_id(), evidence::SeqRange{ev.seq(), ev.seq()});
        range->second.first = std::min(range->second.first, ev.seq());
        range->second.last = std::max(range->second.last, ev.seq());
        return Status::OK();
      }));
  return ranges;
}

// Lists the records the export is to hold into `builder`.
Status ListForBundle(const StoreChannel& store, const ExportRequest& request, uint64_t size,
                     BundleBuilder* builder) {
  v1::ListEvidenceRequest listing = Listing(request);
  listing.set_proof_tree_size(size);
  auto add = [&](const v1::StoredEvidence& stored) {
    builder->Add(stored);
    return Status::OK();
  };
  if (request.control.empty()) return ListStoredEvidence(store, listing, kExportDeadline, add);
  SHOKO_ASSIGN_OR_RETURN(AgentRanges ranges, ControlRanges(store, listing));
  builder->Restrict(ranges);
  listing.clear_control_ref();
  for (const auto& [agent_id, range] : ranges) {
    listing.set_agent_id(agent_id);
    SHOKO_RETURN_IF_ERROR(ListStoredEvidence(store, listing, kExportDeadline, add));
  }
  return Status::OK();
}

// What a bundle covers, in lines for stdout.
std::vector<std::string> Covered(const evidence::Bundle& bundle, const v1::Checkpoint& served,
                                 uint64_t left_out) {
  std::vector<std::string> lines;
  for (const evidence::BundleAgent& a : bundle.agents) {
    lines.push_back("agent " + a.agent_id + ": seq " + std::to_string(a.first_seq) + "-" +
                    std::to_string(a.last_seq));
  }
  lines.push_back("proven against the checkpoint of " + std::to_string(served.tree_size()) +
                  " leaves signed at " + platform::FormatRfc3339(served.signed_at_us()) +
                  (bundle.consistency.empty()
                       ? ""
                       : ", with the consistency proof from the checkpoint of " +
                             std::to_string(bundle.consistency.front().from_size) + " leaves"));
  if (left_out > 0) {
    lines.push_back(std::to_string(left_out) +
                    " record(s) received after that checkpoint are not in the bundle: export "
                    "again once the store has signed a checkpoint that holds them");
  }
  return lines;
}

// The records as a bundle proven against the log's latest checkpoint.
Result<Exported> ExportBundle(const StoreChannel& store, const ExportRequest& request) {
  LogClient log(store, kExportDeadline);
  SHOKO_ASSIGN_OR_RETURN(v1::Checkpoint served, log.Checkpoint(0));
  BundleBuilder builder(served.note());
  SHOKO_RETURN_IF_ERROR(ListForBundle(store, request, served.tree_size(), &builder));
  Exported exported;
  SHOKO_ASSIGN_OR_RETURN(evidence::Bundle bundle, builder.Finish(&exported.warnings));
  if (!request.previous.empty()) {
    SHOKO_RETURN_IF_ERROR(AddConsistency(log, request.previous, served.tree_size(), &bundle));
  }
  exported.records = bundle.records.size();
  for (const evidence::BundleAgent& a : bundle.agents) exported.agents.insert(a.agent_id);
  exported.lines = Covered(bundle, served, builder.left_out());
  if (exported.records == 0 && builder.left_out() > 0) {
    exported.empty_why = "the log's latest checkpoint (" + std::to_string(served.tree_size()) +
                         " leaves) holds none of the " + std::to_string(builder.left_out()) +
                         " record(s) listed yet";
  }
  exported.text = evidence::EncodeBundle(bundle);
  return exported;
}

Status CheckRequest(const ExportRequest& request) {
  if (request.output.empty()) return Status::InvalidArgument("export needs -o FILE");
  if (!request.control.empty() && !controls::IsValidControlRef(request.control)) {
    return Status::InvalidArgument("--control: '" + request.control +
                                   "' is not a control ref (framework:id, e.g. ismap:8.2)");
  }
  if (!request.previous.empty() && request.format != "bundle") {
    return Status::InvalidArgument("--previous goes with --format bundle");
  }
  return Status::OK();
}

}  // namespace

int RunExport(const ExportRequest& request, std::ostream& out, std::ostream& err) {
  if (Status bad = CheckRequest(request); !bad.ok()) return Fail(bad, err);
  auto store = ConnectToStore(request.connection);
  if (!store.ok()) return Fail(store.status(), err);
  Result<Exported> exported =
      request.format == "dsse" ? ExportDsse(*store, request) : ExportBundle(*store, request);
  if (!exported.ok()) return Fail(exported.status(), err);
  if (exported->records == 0) {
    const std::string why = exported->empty_why.empty()
                                ? "the store lists no records for this export"
                                : exported->empty_why;
    return Fail(Status::NotFound(why + "; nothing written"), err);
  }
  Status written = platform::WriteFileAtomic(request.output, exported->text, 0644);
  if (!written.ok()) return Fail(written, err);
  out << "wrote " << exported->records << " record(s) of " << exported->agents.size()
      << " agent(s) to " << request.output << " (" << request.format << ")\n";
  for (const std::string& line : exported->lines) out << line << "\n";
  for (const std::string& warning : exported->warnings) err << "shokoctl: " << warning << "\n";
  return kExitOk;
}

void AddExportCommand(CLI::App& app, Commands& commands) {
  auto request = std::make_shared<ExportRequest>();
  CLI::App* exporting = AddStoreCommand(
      app, "export", "Export stored evidence for offline verification.", &request->connection);
  exporting->add_option("--format", request->format, "bundle or dsse.")
      ->check(CLI::IsMember({"bundle", "dsse"}))
      ->required()
      ->type_name("FORMAT");
  AddTextOptions(
      exporting,
      {{"--agent", &request->agent, "Only this agent (its id or a prefix of it).", "ID"},
       {"--control", &request->control,
        "Only records mapped to this control ref or one below it (e.g. ismap:8.2).", "REF"},
       {"--previous", &request->previous,
        "A checkpoint you kept: the bundle adds the consistency proof from its size.",
        "CHECKPOINT_FILE"}});
  exporting->add_option("-o,--output", request->output, "Where to write the export.")
      ->required()
      ->type_name("FILE");
  commands.On(exporting, [request](std::ostream& out, std::ostream& err) {
    return RunExport(*request, out, err);
  });
}

}  // namespace shoko::cli
