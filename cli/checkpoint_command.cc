#include "cli/checkpoint_command.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/log_client.h"
#include "cli/log_key.h"
#include "platform/digest.h"
#include "platform/exit_code.h"
#include "platform/text_table.h"
#include "platform/time_format.h"

namespace shoko::cli {
namespace {

// The names under the note's signatures other than the log's own: the
// witnesses that cosigned it.
std::vector<std::string> Cosigners(const std::string& note_text, const std::string& log_name) {
  std::vector<std::string> names;
  auto note = evidence::ParseNote(note_text);
  if (!note.ok()) return names;
  for (const evidence::NoteSignature& s : note->signatures) {
    if (s.name != log_name) names.push_back(s.name);
  }
  return names;
}

void Print(const CheckpointQuery& query, const v1::Checkpoint& served,
           const evidence::Checkpoint& body, const std::string& verified, std::ostream& out) {
  if (query.format == "note") {
    out << served.note();
    return;
  }
  const std::vector<std::string> cosigners = Cosigners(served.note(), body.origin);
  if (query.format == "json") {
    nlohmann::ordered_json j;
    j["origin"] = body.origin;
    j["tree_size"] = body.tree_size;
    j["root_hash"] = platform::HexEncode(body.root_hash);
    j["signed_at"] = platform::FormatRfc3339(served.signed_at_us());
    j["signature"] = verified;
    j["cosigners"] = cosigners;
    j["note"] = served.note();
    out << j.dump(2) << "\n";
    return;
  }
  std::string names;
  for (const std::string& n : cosigners) names += (names.empty() ? "" : ", ") + n;
  platform::PrintAligned({{"origin", body.origin},
                          {"tree size", std::to_string(body.tree_size)},
                          {"root", platform::HexEncode(body.root_hash)},
                          {"signed at", platform::FormatRfc3339(served.signed_at_us())},
                          {"signature", verified},
                          {"cosigned by", names.empty() ? "-" : names}},
                         out);
}

}  // namespace

int RunCheckpoint(const CheckpointQuery& query, std::ostream& out, std::ostream& err) {
  auto key = PinnedLogKey(query.log_key);
  if (!key.ok()) return Fail(key.status(), err);
  auto store = ConnectToStore(query.connection);
  if (!store.ok()) return Fail(store.status(), err);
  LogClient log(*store, kLogCallDeadline);
  auto served = log.Checkpoint(query.size);
  if (!served.ok()) return Fail(served.status(), err);
  Result<evidence::Checkpoint> body = Status::Corruption("not opened");
  std::string verified;
  if (*key) {
    body = OpenServedCheckpoint(*served, **key);
    if (body.ok() && query.size != 0 && body->tree_size != query.size) {
      body = Status::Corruption("the store answered with a checkpoint of " +
                                std::to_string(body->tree_size) + " leaves");
    }
    if (!body.ok()) {
      err << "shokoctl: checkpoint of " << served->tree_size() << " leaves from store "
          << store->address << ": " << body.status().message() << "\n";
      return kExitProblems;
    }
    verified = "verified with " + (*key)->ToString();
  } else {
    auto note = evidence::ParseNote(served->note());
    if (note.ok()) body = evidence::ParseCheckpointBody(note->body);
    if (!body.ok()) {
      return Fail(body.status().WithContext("store " + store->address + ": checkpoint"), err);
    }
    verified = "not checked: " + NoLogKeyPinned();
  }
  Print(query, *served, *body, verified, out);
  if (!*key) err << "shokoctl: signature " << verified << "\n";
  return kExitOk;
}

void AddCheckpointCommand(CLI::App& app, Commands& commands) {
  auto query = std::make_shared<CheckpointQuery>();
  CLI::App* checkpoint = AddStoreCommand(
      app, "checkpoint", "Show the log's signed checkpoint, verified with the pinned log key.",
      &query->connection);
  checkpoint->add_option("--size", query->size, "The checkpoint of N leaves (default: the latest).")
      ->type_name("N");
  AddLogKeyOption(checkpoint, &query->log_key);
  AddFormatOption(checkpoint, &query->format, {"table", "json", "note"});
  commands.On(checkpoint, [query](std::ostream& out, std::ostream& err) {
    return RunCheckpoint(*query, out, err);
  });
}

}  // namespace shoko::cli
