#include "cli/export_command.h"

#include <CLI/CLI.hpp>
#include <set>

#include "cli/evidence_command.h"
#include "controls/control_ref.h"
#include "evidence/envelope.h"
#include "platform/exit_code.h"
#include "platform/local_files.h"
#include "shoko/v1/audit.pb.h"

namespace shoko::cli {
namespace {

// What an export holds, to say so once it is written.
struct Exported {
  std::string text;
  uint64_t records = 0;
  std::set<std::string> agents;
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
  Result<Exported> exported = Status::NotSupported("--format bundle: not built yet");
  if (request.format == "dsse") exported = ExportDsse(*store, request);
  if (!exported.ok()) return Fail(exported.status(), err);
  if (exported->records == 0) {
    return Fail(Status::NotFound("the store lists no records for this export; nothing written"),
                err);
  }
  Status written = platform::WriteFileAtomic(request.output, exported->text, 0644);
  if (!written.ok()) return Fail(written, err);
  out << "wrote " << exported->records << " record(s) of " << exported->agents.size()
      << " agent(s) to " << request.output << " (" << request.format << ")\n";
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
