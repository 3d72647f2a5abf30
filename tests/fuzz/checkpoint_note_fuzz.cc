// Signed notes, checkpoints, verifier keys and cosignatures
// (evidence/note.h) from arbitrary text: refused with a message or read
// whole, never a crash; what is read holds what the header promises. The
// keys are the standard test log's (tests/evidence/test_log.h), so the seeds
// in tests/fixtures/evidence-log open and their cosignatures verify.
#include "evidence/note.h"
#include "tests/evidence/test_log.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using namespace shoko::evidence;

const testing::StandardLog& Log() {
  static const testing::StandardLog* log = new testing::StandardLog();
  return *log;
}

void Check(bool holds) {
  if (!holds) __builtin_trap();
}

void CheckNote(std::string_view text, const Note& note) {
  Check(!note.body.empty() && note.body.back() == '\n');
  Check(text.substr(0, note.body.size()) == note.body);
  for (const NoteSignature& sig : note.signatures) Check(sig.key_id.size() == 4);
  auto body = ParseCheckpointBody(note.body);
  if (body.ok()) Check(body->root_hash.size() == 32 && body->body == note.body);
  auto opened = OpenCheckpoint(text, Log().log.verifier());
  if (opened.ok()) {
    Check(body.ok() && opened->origin == Log().log.origin());
    Check(opened->tree_size == body->tree_size && opened->root_hash == body->root_hash);
  }
  (void)OpenCheckpoint(text, Log().log.verifier(), std::string_view("another/origin"));
  for (size_t agent : {Log().a, Log().b}) {
    const NoteVerifier cosigner =
        AgentCosigner(Log().log.agent_id(agent), Log().log.current_key(agent).public_key());
    for (const NoteSignature& sig : note.signatures) {
      auto time = VerifyCosignature(note.body, sig, cosigner);
      Check(time.ok() || time.status().code() == shoko::Status::Code::kNotFound ||
            time.status().code() == shoko::Status::Code::kCorruption ||
            time.status().code() == shoko::Status::Code::kInvalidArgument);
    }
  }
  // Adding the note's own lines changes nothing.
  std::vector<std::string> lines;
  for (const NoteSignature& sig : note.signatures) lines.push_back(sig.line);
  auto same = AddSignatureLines(text, lines);
  Check(same.ok() && *same == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = FuzzText(data, size);
  auto note = ParseNote(text);
  if (note.ok()) {
    CheckNote(text, *note);
  } else if (note.status().message().empty()) {
    __builtin_trap();
  }
  (void)ParseCheckpointBody(text);
  auto vkey = NoteVerifier::Parse(text);
  if (vkey.ok()) {
    auto again = NoteVerifier::Parse(vkey->ToString());
    Check(again.ok() && again->ToString() == vkey->ToString() && again->key_id() == vkey->key_id());
  }
  return 0;
}
