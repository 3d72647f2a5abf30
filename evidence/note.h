// Signed notes (C2SP signed-note), the log's checkpoints in them (C2SP
// tlog-checkpoint) and witnesses' cosignatures of them (C2SP tlog-cosignature,
// Ed25519): docs/ledger.md, "Checkpoints".
//
// A note is a body of newline-terminated lines, a blank line, then one or
// more signature lines "— NAME BASE64(KEY_ID ‖ SIGNATURE)" (U+2014). A
// checkpoint's body is "ORIGIN\nTREE_SIZE\nBASE64(ROOT)\n". The log signs the
// body with Ed25519 (key type 0x01, signature over the body); a cosigner signs
// "cosignature/v1\ntime T\n" followed by the body (key type 0x04, and the
// signature is T as 8 big-endian bytes then the Ed25519 signature).
#ifndef SHOKO_EVIDENCE_NOTE_H_
#define SHOKO_EVIDENCE_NOTE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/keys.h"
#include "platform/status.h"

namespace shoko::evidence {

// Largest note shoko reads or writes: a checkpoint with many cosignatures.
inline constexpr size_t kMaxNoteBytes = 1 << 20;

// Which signature a note key makes (the C2SP signature type byte).
enum class NoteKeyType : uint8_t {
  kEd25519 = 0x01,             // the log's own signature
  kCosignatureEd25519 = 0x04,  // a witness's timestamped cosignature
};

// A note verifier: a key's name, type and public key, and the 4-byte key id
// SHA-256(NAME ‖ "\n" ‖ TYPE ‖ KEY)[:4] that its signature lines carry.
class NoteVerifier {
 public:
  NoteVerifier(std::string name, NoteKeyType type, PublicKey key);
  // C2SP verifier key text "NAME+KEYID_HEX8+BASE64(TYPE ‖ KEY)" (surrounding
  // white space allowed); InvalidArgument naming what is wrong (a name with a
  // '+' or space, a key id that does not match, an unknown type).
  static Result<NoteVerifier> Parse(std::string_view vkey);

  const std::string& name() const { return name_; }
  NoteKeyType type() const { return type_; }
  const PublicKey& key() const { return key_; }
  const std::string& key_id() const { return key_id_; }  // 4 raw bytes
  // The verifier key text, as Parse reads it.
  std::string ToString() const;

 private:
  std::string name_;
  NoteKeyType type_;
  PublicKey key_;
  std::string key_id_;
};

// One signature line of a note.
struct NoteSignature {
  std::string name;
  std::string key_id;     // 4 raw bytes
  std::string signature;  // the rest of the decoded bytes
  std::string line;       // the line as written, without its newline
};

struct Note {
  std::string body;  // the text, up to and including its last newline before the blank line
  std::vector<NoteSignature> signatures;
};

// Splits note text into body and signature lines. InvalidArgument naming the
// line for text over kMaxNoteBytes, no blank line, an empty body, a body line
// with a control character, a signature line not in the form above, or bad
// base64; the signatures are not verified here.
Result<Note> ParseNote(std::string_view text);

// The log's checkpoint: what the body says.
struct Checkpoint {
  std::string origin;
  uint64_t tree_size = 0;
  std::string root_hash;  // 32 raw bytes
  std::string body;       // exactly as signed
};

// "ORIGIN\nSIZE\nBASE64(ROOT)\n".
std::string CheckpointBody(std::string_view origin, uint64_t tree_size, std::string_view root);
// Reads a checkpoint body (extension lines after the root are allowed and
// kept in `body`). InvalidArgument naming the line.
Result<Checkpoint> ParseCheckpointBody(std::string_view body);

// The note text of `body` signed by the log's `key` under `name`: the body, a
// blank line and one signature line.
Result<std::string> SignNote(std::string_view body, const std::string& name, const SigningKey& key);

// Reads a signed checkpoint and checks it: the note parses, carries a valid
// signature by `log_key` (type kEd25519), and its origin is `log_key`'s name
// unless `origin` says otherwise. Corruption for a missing or bad signature
// or another origin; InvalidArgument for text that is not a note.
Result<Checkpoint> OpenCheckpoint(std::string_view note_text, const NoteVerifier& log_key,
                                  std::optional<std::string_view> origin = std::nullopt);

// A cosignature line of `checkpoint_body` by a witness's `key` under `name`,
// made at `timestamp` (seconds since the Unix epoch), without its newline
// (as NoteSignature::line holds it). InvalidArgument for a body that is not a
// checkpoint, a bad name or a timestamp beyond 2^63 - 1.
Result<std::string> Cosign(std::string_view checkpoint_body, const std::string& name,
                           const SigningKey& key, uint64_t timestamp);
// Checks one signature line as `cosigner`'s cosignature of
// `checkpoint_body`; returns its timestamp. NotFound when the line's name or
// key id is not the cosigner's; Corruption when the signature is bad.
Result<uint64_t> VerifyCosignature(std::string_view checkpoint_body, const NoteSignature& signature,
                                   const NoteVerifier& cosigner);

// The cosigner name an agent signs checkpoints under: "shoko-agent/AGENT_ID"
// (docs/ledger.md, "Checkpoints"); its key is the agent's current evidence key.
std::string AgentCosignerName(std::string_view agent_id);
// That agent's cosigner (type kCosignatureEd25519) for `key`.
NoteVerifier AgentCosigner(std::string_view agent_id, const PublicKey& key);

// `note_text` with each of `lines` (signature lines without their newline,
// as Cosign makes them) appended unless the note already carries it.
// InvalidArgument when the note or a line does not parse.
Result<std::string> AddSignatureLines(std::string_view note_text,
                                      const std::vector<std::string>& lines);

}  // namespace shoko::evidence

#endif  // SHOKO_EVIDENCE_NOTE_H_
