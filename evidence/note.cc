#include "evidence/note.h"

#include <algorithm>
#include <limits>

#include "evidence/encoding.h"
#include "platform/digest.h"
#include "platform/strings.h"

namespace shoko::evidence {
namespace {

constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // U+2014 and a space
constexpr size_t kKeyIdBytes = 4;
constexpr size_t kEd25519SignatureBytes = 64;
constexpr size_t kTimestampBytes = 8;
constexpr uint64_t kMaxTimestamp = std::numeric_limits<int64_t>::max();
constexpr std::string_view kAgentCosignerPrefix = "shoko-agent/";

std::string KeyIdOf(std::string_view name, NoteKeyType type, const PublicKey& key) {
  std::string hashed(name);
  hashed += '\n';
  hashed += static_cast<char>(type);
  hashed += key.raw();
  return platform::Sha256(hashed).substr(0, kKeyIdBytes);
}

std::string Line(size_t number) { return "line " + std::to_string(number) + ": "; }

// The next code point of valid UTF-8 at `pos` (advancing it), or -1 for a
// byte that does not start a valid, shortest-form sequence.
int32_t NextCodePoint(std::string_view s, size_t& pos) {
  const unsigned char lead = static_cast<unsigned char>(s[pos]);
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  size_t extra = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    extra = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    extra = 2;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    extra = 3;
  } else {
    return -1;
  }
  if (s.size() - pos <= extra) return -1;
  int32_t cp = lead & (0x3F >> extra);
  for (size_t i = 1; i <= extra; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[pos + i]);
    if ((c & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr int32_t kShortest[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kShortest[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  pos += extra + 1;
  return cp;
}

// Unicode's White_Space characters, which a key name may not contain.
bool IsUnicodeSpace(int32_t cp) {
  return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// Signed notes are UTF-8 without control characters other than newline.
Status CheckNoteText(std::string_view text) {
  size_t line = 1;
  for (size_t pos = 0; pos < text.size();) {
    const int32_t cp = NextCodePoint(text, pos);
    if (cp < 0) return Status::InvalidArgument(Line(line) + "not valid UTF-8");
    if (cp == '\n') {
      ++line;
    } else if (cp < 0x20) {
      return Status::InvalidArgument(Line(line) + "control character " + std::to_string(cp));
    }
  }
  return Status::OK();
}

Status CheckKeyName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("key name is empty");
  for (size_t pos = 0; pos < name.size();) {
    const int32_t cp = NextCodePoint(name, pos);
    if (cp < 0) return Status::InvalidArgument("key name is not valid UTF-8");
    if (cp == '+' || IsUnicodeSpace(cp) || cp < 0x20) {
      return Status::InvalidArgument("key name '" + std::string(name) +
                                     "' contains a '+', a space or a control character");
    }
  }
  return Status::OK();
}

std::string KeyLabel(const NoteVerifier& key) {
  return key.name() + "+" + platform::HexEncode(key.key_id());
}

void AppendBigEndian(uint64_t value, std::string& out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

uint64_t ReadBigEndian(std::string_view bytes) {
  uint64_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

std::string CosignedMessage(std::string_view body, uint64_t timestamp) {
  return "cosignature/v1\ntime " + std::to_string(timestamp) + "\n" + std::string(body);
}

std::string SignatureLine(const std::string& name, std::string_view key_id,
                          std::string_view signature) {
  return std::string(kSignaturePrefix) + name + " " +
         Base64Encode(std::string(key_id) + std::string(signature));
}

Result<NoteSignature> ParseSignatureLine(std::string_view line, size_t number) {
  if (!line.starts_with(kSignaturePrefix)) {
    return Status::InvalidArgument(Line(number) +
                                   "a signature line starts with an em dash (U+2014) and a space");
  }
  const std::string_view rest = line.substr(kSignaturePrefix.size());
  const size_t space = rest.find(' ');
  if (space == std::string_view::npos) {
    return Status::InvalidArgument(Line(number) + "a signature line is '— NAME SIGNATURE'");
  }
  NoteSignature sig;
  sig.name = std::string(rest.substr(0, space));
  if (Status s = CheckKeyName(sig.name); !s.ok()) return s.WithContext(Line(number) + "signature");
  auto bytes = Base64DecodeStrict(rest.substr(space + 1));
  if (!bytes.ok()) {
    return bytes.status().WithContext(Line(number) + "signature by " + sig.name);
  }
  if (bytes->size() <= kKeyIdBytes) {
    return Status::InvalidArgument(Line(number) + "signature by " + sig.name +
                                   " is too short to hold a key id and a signature");
  }
  sig.key_id = bytes->substr(0, kKeyIdBytes);
  sig.signature = bytes->substr(kKeyIdBytes);
  sig.line = std::string(line);
  return sig;
}

// A tree size: decimal digits with no leading zero, within uint64.
Result<uint64_t> ParseTreeSize(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos ||
      (text.size() > 1 && text[0] == '0') || text.size() > 20) {
    return Status::InvalidArgument(Line(2) + "tree size is not a decimal number");
  }
  uint64_t value = 0;
  for (char c : text) {
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return Status::InvalidArgument(Line(2) + "tree size is too large");
    }
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace

NoteVerifier::NoteVerifier(std::string name, NoteKeyType type, PublicKey key)
    : name_(std::move(name)), type_(type), key_(std::move(key)) {
  key_id_ = KeyIdOf(name_, type_, key_);
}

Result<NoteVerifier> NoteVerifier::Parse(std::string_view vkey) {
  const std::string_view text = platform::Trim(vkey);
  const size_t plus1 = text.find('+');
  const size_t plus2 = plus1 == std::string_view::npos ? plus1 : text.find('+', plus1 + 1);
  if (plus2 == std::string_view::npos) {
    return Status::InvalidArgument("verifier key is not NAME+KEYID+KEY");
  }
  const std::string_view name = text.substr(0, plus1);
  SHOKO_RETURN_IF_ERROR(CheckKeyName(name).WithContext("verifier key"));
  const std::string_view hex = text.substr(plus1 + 1, plus2 - plus1 - 1);
  if (hex.size() != 2 * kKeyIdBytes || hex.find_first_not_of("0123456789abcdef") != hex.npos) {
    return Status::InvalidArgument("verifier key: key id '" + std::string(hex) +
                                   "' is not 8 lowercase hex digits");
  }
  auto bytes = Base64DecodeStrict(text.substr(plus2 + 1));
  if (!bytes.ok()) return bytes.status().WithContext("verifier key");
  if (bytes->empty()) return Status::InvalidArgument("verifier key: no key after the key id");
  const auto type = static_cast<NoteKeyType>((*bytes)[0]);
  if (type != NoteKeyType::kEd25519 && type != NoteKeyType::kCosignatureEd25519) {
    return Status::InvalidArgument("verifier key: unknown key type " +
                                   std::to_string(static_cast<unsigned char>((*bytes)[0])) +
                                   " (shoko reads 1, Ed25519, and 4, Ed25519 cosignatures)");
  }
  auto key = PublicKey::FromRaw(std::string_view(*bytes).substr(1));
  if (!key.ok()) return key.status().WithContext("verifier key");
  NoteVerifier verifier(std::string(name), type, std::move(key).value());
  if (platform::HexEncode(verifier.key_id()) != hex) {
    return Status::InvalidArgument("verifier key: key id " + std::string(hex) +
                                   " does not match the name and key (" +
                                   platform::HexEncode(verifier.key_id()) + ")");
  }
  return verifier;
}

std::string NoteVerifier::ToString() const {
  return KeyLabel(*this) + "+" + Base64Encode(static_cast<char>(type_) + key_.raw());
}

Result<Note> ParseNote(std::string_view text) {
  if (text.size() > kMaxNoteBytes) {
    return Status::InvalidArgument("note is " + std::to_string(text.size()) +
                                   " bytes, over the limit of " + std::to_string(kMaxNoteBytes));
  }
  SHOKO_RETURN_IF_ERROR(CheckNoteText(text));
  if (text.empty() || text.back() != '\n') {
    return Status::InvalidArgument("note does not end with a newline");
  }
  const size_t split = text.rfind("\n\n");
  if (split == std::string_view::npos) {
    return Status::InvalidArgument("note has no blank line before its signatures");
  }
  Note note;
  note.body = std::string(text.substr(0, split + 1));
  if (note.body.front() == '\n') return Status::InvalidArgument(Line(1) + "note text is empty");
  size_t number = static_cast<size_t>(std::count(note.body.begin(), note.body.end(), '\n')) + 2;
  std::string_view rest = text.substr(split + 2);
  if (rest.empty()) {
    return Status::InvalidArgument(Line(number) + "no signature lines after the blank line");
  }
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    SHOKO_ASSIGN_OR_RETURN(NoteSignature sig, ParseSignatureLine(rest.substr(0, end), number));
    note.signatures.push_back(std::move(sig));
    rest.remove_prefix(end + 1);
    ++number;
  }
  return note;
}

std::string CheckpointBody(std::string_view origin, uint64_t tree_size, std::string_view root) {
  return std::string(origin) + "\n" + std::to_string(tree_size) + "\n" + Base64Encode(root) + "\n";
}

Result<Checkpoint> ParseCheckpointBody(std::string_view body) {
  SHOKO_RETURN_IF_ERROR(CheckNoteText(body));
  if (body.empty() || body.back() != '\n') {
    return Status::InvalidArgument("checkpoint does not end with a newline");
  }
  std::vector<std::string_view> lines;
  for (std::string_view rest = body; !rest.empty();) {
    const size_t end = rest.find('\n');
    lines.push_back(rest.substr(0, end));
    rest.remove_prefix(end + 1);
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) return Status::InvalidArgument(Line(i + 1) + "empty line in checkpoint");
  }
  if (lines.size() < 3) {
    return Status::InvalidArgument(Line(lines.size() + 1) +
                                   "a checkpoint has an origin, a tree size and a root hash");
  }
  Checkpoint checkpoint;
  checkpoint.origin = std::string(lines[0]);
  SHOKO_ASSIGN_OR_RETURN(checkpoint.tree_size, ParseTreeSize(lines[1]));
  auto root = Base64DecodeStrict(lines[2]);
  if (!root.ok()) return root.status().WithContext(Line(3) + "root hash");
  if (root->size() != 32) {
    return Status::InvalidArgument(Line(3) + "root hash is " + std::to_string(root->size()) +
                                   " bytes, not 32");
  }
  checkpoint.root_hash = std::move(root).value();
  checkpoint.body = std::string(body);
  return checkpoint;
}

Result<std::string> SignNote(std::string_view body, const std::string& name,
                             const SigningKey& key) {
  SHOKO_RETURN_IF_ERROR(CheckKeyName(name));
  const NoteVerifier verifier(name, NoteKeyType::kEd25519, key.public_key());
  SHOKO_ASSIGN_OR_RETURN(std::string sig, key.Sign(body));
  std::string text = std::string(body) + "\n" + SignatureLine(name, verifier.key_id(), sig) + "\n";
  // What shoko writes, it must read back as the same body.
  auto note = ParseNote(text);
  if (!note.ok()) return note.status().WithContext("cannot sign this text as a note");
  if (note->body != body) return Status::InvalidArgument("cannot sign this text as a note");
  return text;
}

Result<Checkpoint> OpenCheckpoint(std::string_view note_text, const NoteVerifier& log_key,
                                  std::optional<std::string_view> origin) {
  if (log_key.type() != NoteKeyType::kEd25519) {
    return Status::InvalidArgument("log key " + KeyLabel(log_key) +
                                   " is a cosigner's key, not a log's");
  }
  SHOKO_ASSIGN_OR_RETURN(Note note, ParseNote(note_text));
  bool signed_by_log = false;
  for (const NoteSignature& sig : note.signatures) {
    if (sig.name != log_key.name() || sig.key_id != log_key.key_id()) continue;
    if (!log_key.key().Verify(note.body, sig.signature)) {
      return Status::Corruption("checkpoint signature by " + KeyLabel(log_key) +
                                " does not verify");
    }
    signed_by_log = true;
  }
  if (!signed_by_log) {
    return Status::Corruption("checkpoint is not signed by the log key " + KeyLabel(log_key));
  }
  auto checkpoint = ParseCheckpointBody(note.body);
  if (!checkpoint.ok()) return checkpoint.status().WithContext("checkpoint");
  const std::string_view want = origin.value_or(log_key.name());
  if (checkpoint->origin != want) {
    return Status::Corruption("checkpoint origin '" + checkpoint->origin.substr(0, 200) +
                              "' is not '" + std::string(want) + "'");
  }
  return checkpoint;
}

Result<std::string> Cosign(std::string_view checkpoint_body, const std::string& name,
                           const SigningKey& key, uint64_t timestamp) {
  SHOKO_RETURN_IF_ERROR(CheckKeyName(name));
  if (timestamp > kMaxTimestamp) {
    return Status::InvalidArgument("cosignature timestamp is beyond 2^63 - 1");
  }
  auto checkpoint = ParseCheckpointBody(checkpoint_body);
  if (!checkpoint.ok()) return checkpoint.status().WithContext("cannot cosign");
  const NoteVerifier verifier(name, NoteKeyType::kCosignatureEd25519, key.public_key());
  SHOKO_ASSIGN_OR_RETURN(std::string sig, key.Sign(CosignedMessage(checkpoint_body, timestamp)));
  std::string signed_bytes;
  AppendBigEndian(timestamp, signed_bytes);
  signed_bytes += sig;
  return SignatureLine(name, verifier.key_id(), signed_bytes);
}

Result<uint64_t> VerifyCosignature(std::string_view checkpoint_body, const NoteSignature& signature,
                                   const NoteVerifier& cosigner) {
  if (cosigner.type() != NoteKeyType::kCosignatureEd25519) {
    return Status::InvalidArgument("key " + KeyLabel(cosigner) + " is not a cosigner's key");
  }
  if (signature.name != cosigner.name() || signature.key_id != cosigner.key_id()) {
    return Status::NotFound("not a cosignature by " + KeyLabel(cosigner));
  }
  if (signature.signature.size() != kTimestampBytes + kEd25519SignatureBytes) {
    return Status::Corruption("cosignature by " + KeyLabel(cosigner) + " is " +
                              std::to_string(signature.signature.size()) +
                              " bytes, not a timestamp and an Ed25519 signature (72)");
  }
  const uint64_t timestamp = ReadBigEndian(signature.signature.substr(0, kTimestampBytes));
  if (timestamp > kMaxTimestamp) {
    return Status::Corruption("cosignature by " + KeyLabel(cosigner) +
                              " has a timestamp beyond 2^63 - 1");
  }
  if (!cosigner.key().Verify(CosignedMessage(checkpoint_body, timestamp),
                             signature.signature.substr(kTimestampBytes))) {
    return Status::Corruption("cosignature by " + KeyLabel(cosigner) + " does not verify");
  }
  return timestamp;
}

std::string AgentCosignerName(std::string_view agent_id) {
  return std::string(kAgentCosignerPrefix) + std::string(agent_id);
}

NoteVerifier AgentCosigner(std::string_view agent_id, const PublicKey& key) {
  return NoteVerifier(AgentCosignerName(agent_id), NoteKeyType::kCosignatureEd25519, key);
}

Result<std::string> AddSignatureLines(std::string_view note_text,
                                      const std::vector<std::string>& lines) {
  SHOKO_ASSIGN_OR_RETURN(Note note, ParseNote(note_text));
  std::string text(note_text);
  for (const std::string& line : lines) {
    bool held = false;
    for (const NoteSignature& sig : note.signatures) held = held || sig.line == line;
    if (held) continue;
    text += line + "\n";
    note.signatures.push_back(NoteSignature{"", "", "", line});
  }
  auto combined = ParseNote(text);
  if (!combined.ok()) return combined.status().WithContext("adding signature lines");
  return text;
}

}  // namespace shoko::evidence
