// Signed notes, checkpoints and cosignatures (C2SP signed-note,
// tlog-checkpoint, tlog-cosignature), against published examples where the
// specifications and Go's reference implementation give them.
#include "evidence/note.h"

#include <gtest/gtest.h>

#include "evidence/encoding.h"
#include "evidence/merkle.h"
#include "platform/digest.h"

namespace shoko::evidence {
namespace {

// golang.org/x/mod/sumdb/note's test key and note (note_test.go): the
// verifier key, the signer's seed (after its type byte) and the exact
// signed text Go produces.
constexpr std::string_view kPeterVkey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kPeterSeedB64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kEnochVkey =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr std::string_view kPeterText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view kPeterSig =
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
constexpr std::string_view kEnochSig =
    "— EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

SigningKey PeterKey() { return *SigningKey::FromSeed(Base64Decode(kPeterSeedB64)->substr(1)); }

TEST(NoteTest, GoSumdbVerifierKeyAndSignature) {
  auto peter = NoteVerifier::Parse(kPeterVkey);
  ASSERT_TRUE(peter.ok()) << peter.status().ToString();
  EXPECT_EQ(peter->name(), "PeterNeumann");
  EXPECT_EQ(peter->type(), NoteKeyType::kEd25519);
  EXPECT_EQ(platform::HexEncode(peter->key_id()), "c74f20a3");
  EXPECT_EQ(peter->ToString(), kPeterVkey);
  EXPECT_EQ(peter->key().raw(), PeterKey().public_key().raw());

  // Ed25519 is deterministic: shoko signs exactly as Go does.
  auto signed_text = SignNote(kPeterText, "PeterNeumann", PeterKey());
  ASSERT_TRUE(signed_text.ok()) << signed_text.status().ToString();
  EXPECT_EQ(*signed_text, std::string(kPeterText) + "\n" + std::string(kPeterSig));

  auto enoch = NoteVerifier::Parse(kEnochVkey);
  ASSERT_TRUE(enoch.ok()) << enoch.status().ToString();
  auto note =
      ParseNote(std::string(kPeterText) + "\n" + std::string(kPeterSig) + std::string(kEnochSig));
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  EXPECT_EQ(note->body, kPeterText);
  ASSERT_EQ(note->signatures.size(), 2u);
  EXPECT_EQ(note->signatures[0].key_id, peter->key_id());
  EXPECT_TRUE(peter->key().Verify(note->body, note->signatures[0].signature));
  EXPECT_EQ(note->signatures[1].name, "EnochRoot");
  EXPECT_EQ(note->signatures[1].key_id, enoch->key_id());
  EXPECT_TRUE(enoch->key().Verify(note->body, note->signatures[1].signature));
  EXPECT_EQ(note->signatures[1].line + "\n", kEnochSig);
}

TEST(NoteTest, EveryManglingOfAVerifierKeyIsRefused) {
  // As Go's TestNewVerifier: every proper substring, every byte bumped.
  const std::string vkey(kPeterVkey);
  for (size_t i = 0; i <= vkey.size(); ++i) {
    for (size_t j = i + 1; j <= vkey.size(); ++j) {
      if (i == 0 && j == vkey.size()) continue;
      EXPECT_FALSE(NoteVerifier::Parse(vkey.substr(i, j - i)).ok()) << vkey.substr(i, j - i);
    }
  }
  for (size_t i = 0; i < vkey.size(); ++i) {
    std::string bumped = vkey;
    ++bumped[i];
    EXPECT_FALSE(NoteVerifier::Parse(bumped).ok()) << bumped;
  }
  auto wrong_length = NoteVerifier::Parse(
      "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==");
  EXPECT_FALSE(wrong_length.ok());
  auto unknown_type =
      NoteVerifier::Parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  ASSERT_FALSE(unknown_type.ok());
  EXPECT_NE(unknown_type.status().message().find("unknown key type"), std::string::npos);
  // Surrounding white space (a file's newline) is fine.
  EXPECT_TRUE(NoteVerifier::Parse("  " + vkey + "\n").ok());
}

TEST(NoteTest, C2spExamplesParse) {
  // c2sp.org/signed-note: a text with an empty line of its own.
  auto poem = ParseNote(
      "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito "
      "sera.\n\n— quasimodo.example/salvatore "
      "NnugSzTjtVAewIS+Z/iJhUPeFDkO/"
      "5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n");
  ASSERT_TRUE(poem.ok()) << poem.status().ToString();
  EXPECT_EQ(poem->body,
            "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito "
            "sera.\n");
  ASSERT_EQ(poem->signatures.size(), 1u);
  EXPECT_EQ(poem->signatures[0].name, "quasimodo.example/salvatore");
  EXPECT_EQ(poem->signatures[0].signature.size(), 64u);

  // c2sp.org/tlog-cosignature: a checkpoint with the log's signature and a
  // witness's timestamped cosignature.
  auto cosigned = ParseNote(
      "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
      "— example.com/behind-the-sofa "
      "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
      "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
      "— witness.example.com/w1 "
      "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+"
      "mbIUBkBIfZ+qnA==\n");
  ASSERT_TRUE(cosigned.ok()) << cosigned.status().ToString();
  auto checkpoint = ParseCheckpointBody(cosigned->body);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().ToString();
  EXPECT_EQ(checkpoint->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(checkpoint->tree_size, 20852163u);
  EXPECT_EQ(checkpoint->root_hash.size(), 32u);
  ASSERT_EQ(cosigned->signatures.size(), 2u);
  const std::string& witness = cosigned->signatures[1].signature;
  ASSERT_EQ(witness.size(), 72u);
  // The spec's example message says "time 1679315147": the first 8 bytes.
  EXPECT_EQ(platform::HexEncode(witness.substr(0, 8)), "00000000641850cb");
  EXPECT_EQ(0x641850cbu, 1679315147u);
}

// A log and a checkpoint of a small tree, signed with a fresh key.
struct Log {
  SigningKey key = *SigningKey::Generate();
  std::string name = "log.shoko.example/test";
  NoteVerifier verifier{name, NoteKeyType::kEd25519, key.public_key()};
  std::string body = CheckpointBody(name, 12, merkle::LeafHash("root"));
  std::string Signed() const { return *SignNote(body, name, key); }
};

TEST(NoteTest, CheckpointRoundTrip) {
  Log log;
  EXPECT_EQ(log.body, log.name + "\n12\n" + Base64Encode(merkle::LeafHash("root")) + "\n");
  auto checkpoint = OpenCheckpoint(log.Signed(), log.verifier);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().ToString();
  EXPECT_EQ(checkpoint->origin, log.name);
  EXPECT_EQ(checkpoint->tree_size, 12u);
  EXPECT_EQ(checkpoint->root_hash, merkle::LeafHash("root"));
  EXPECT_EQ(checkpoint->body, log.body);
  auto parsed = NoteVerifier::Parse(log.verifier.ToString());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->key_id(), log.verifier.key_id());
  EXPECT_TRUE(OpenCheckpoint(log.Signed(), *parsed).ok());
}

TEST(NoteTest, CheckpointWithExtensionLines) {
  Log log;
  log.body += "shoko-extension one\nanother\n";
  auto checkpoint = OpenCheckpoint(log.Signed(), log.verifier);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().ToString();
  EXPECT_EQ(checkpoint->tree_size, 12u);
  EXPECT_EQ(checkpoint->body, log.body);
}

TEST(NoteTest, CheckpointFromAnotherOriginIsRefused) {
  Log log;
  auto other = OpenCheckpoint(log.Signed(), log.verifier, "log.shoko.example/other");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), Status::Code::kCorruption);
  EXPECT_NE(other.status().message().find("origin"), std::string::npos);
  // A body naming another origin, signed by the right key, is refused too.
  log.body = CheckpointBody("elsewhere.example/log", 12, merkle::LeafHash("root"));
  auto renamed = OpenCheckpoint(log.Signed(), log.verifier);
  ASSERT_FALSE(renamed.ok());
  EXPECT_NE(renamed.status().message().find("'elsewhere.example/log'"), std::string::npos);
}

TEST(NoteTest, SignatureByAnotherKeyIsRefused) {
  Log log, impostor;
  impostor.name = log.name;  // the same name, another key: another key id
  impostor.body = log.body;
  auto checkpoint = OpenCheckpoint(impostor.Signed(), log.verifier);
  ASSERT_FALSE(checkpoint.ok());
  EXPECT_EQ(checkpoint.status().code(), Status::Code::kCorruption);
  EXPECT_NE(checkpoint.status().message().find("not signed by the log key"), std::string::npos);
}

TEST(NoteTest, BadSignatureByTheLogKeyIsRefused) {
  Log log;
  std::string text = log.Signed();
  // Another checkpoint body under the log's genuine signature line.
  text.replace(text.find("\n12\n"), 4, "\n13\n");
  auto checkpoint = OpenCheckpoint(text, log.verifier);
  ASSERT_FALSE(checkpoint.ok());
  EXPECT_EQ(checkpoint.status().code(), Status::Code::kCorruption);
  EXPECT_NE(checkpoint.status().message().find("does not verify"), std::string::npos);
}

TEST(NoteTest, TruncatedOrGarbledSignatureLinesAreNamed) {
  Log log;
  const std::string text = log.Signed();
  auto truncated = OpenCheckpoint(text.substr(0, text.size() - 10) + "\n", log.verifier);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(truncated.status().message().find("line 5:"), std::string::npos)
      << truncated.status().message();
  std::string garbled = text;
  garbled[garbled.size() - 8] = '*';
  auto bad = OpenCheckpoint(garbled, log.verifier);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 5: signature by " + log.name), std::string::npos)
      << bad.status().message();
  auto no_newline = OpenCheckpoint(text.substr(0, text.size() - 1), log.verifier);
  EXPECT_EQ(no_newline.status().code(), Status::Code::kInvalidArgument);
  auto only_body = OpenCheckpoint(log.body, log.verifier);
  EXPECT_EQ(only_body.status().code(), Status::Code::kInvalidArgument);
  // A key-id-only "signature" (4 bytes) is too short.
  auto short_sig = ParseNote(log.body + "\n— " + log.name + " AAAAAA==\n");
  ASSERT_FALSE(short_sig.ok());
  EXPECT_NE(short_sig.status().message().find("too short"), std::string::npos);
}

TEST(NoteTest, MalformedNotesNameTheLine) {
  struct Case {
    std::string text, message;
  };
  const std::string sig = "— a AAAAAAA=\n";
  const std::vector<Case> cases = {
      {"body\n" + sig, "no blank line"},
      {"body\n\n", "line 3: no signature lines"},
      {"\n\n" + sig, "line 1: note text is empty"},
      {"bo\tdy\n\n" + sig, "line 1: control character 9"},
      {"ok\nbad \xff\n\n" + sig, "line 2: not valid UTF-8"},
      {"ok\n\n- a AAAAAAA=\n", "line 3: a signature line starts with an em dash"},
      {"ok\n\n— a+b AAAAAAA=\n", "contains a '+'"},
      {"ok\n\n— a\xC2\xA0"
       "b AAAAAAA=\n",
       "line 3: signature: key name"},
      {"ok\n\n—  AAAAAAA=\n", "line 3: signature: key name is empty"},
      {"ok\n\n— ab AAAAAAA=\nnot a signature\n", "line 4: a signature line starts"},
      {"ok\n\n— ab AAAAAAA\n", "base64"},
      {std::string(kMaxNoteBytes + 1, 'x'), "over the limit"},
  };
  for (const Case& c : cases) {
    auto note = ParseNote(c.text);
    ASSERT_FALSE(note.ok()) << c.text;
    EXPECT_EQ(note.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(note.status().message().find(c.message), std::string::npos)
        << c.text.substr(0, 80) << " → " << note.status().message();
  }
}

TEST(NoteTest, MalformedCheckpointBodiesNameTheLine) {
  const std::string root = Base64Encode(std::string(32, 'r'));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"origin\n12\n", "line 3: a checkpoint has"},
      {"origin\n012\n" + root + "\n", "line 2: tree size"},
      {"origin\n-1\n" + root + "\n", "line 2: tree size"},
      {"origin\n18446744073709551616\n" + root + "\n", "line 2: tree size is too large"},
      {"origin\n12\n" + Base64Encode(std::string(31, 'r')) + "\n", "line 3: root hash is 31"},
      {"origin\n12\n" + root + "_\n", "line 3: root hash"},
      {"origin\n12\n" + root + "\n\next\n", "line 4: empty line"},
      {"\n12\n" + root + "\n", "line 1: empty line"},
      {"origin\n12\n" + root, "does not end with a newline"},
  };
  for (const auto& [body, message] : cases) {
    auto checkpoint = ParseCheckpointBody(body);
    ASSERT_FALSE(checkpoint.ok()) << body;
    EXPECT_NE(checkpoint.status().message().find(message), std::string::npos)
        << body << " → " << checkpoint.status().message();
  }
  EXPECT_EQ(ParseCheckpointBody("o\n18446744073709551615\n" + root + "\n")->tree_size, UINT64_MAX);
  EXPECT_EQ(ParseCheckpointBody("o\n0\n" + root + "\n")->tree_size, 0u);
}

TEST(NoteTest, CosignaturesMadeAndVerified) {
  Log log;
  const std::string agent_id(64, 'a');
  SigningKey witness_key = *SigningKey::Generate();
  const NoteVerifier witness = AgentCosigner(agent_id, witness_key.public_key());
  EXPECT_EQ(witness.name(), "shoko-agent/" + agent_id);
  EXPECT_EQ(witness.type(), NoteKeyType::kCosignatureEd25519);
  auto line = Cosign(log.body, witness.name(), witness_key, 1700000000);
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  auto text = AddSignatureLines(log.Signed(), {*line});
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*AddSignatureLines(*text, {*line}), *text) << "a line already held is not added";
  auto note = ParseNote(*text);
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  ASSERT_EQ(note->signatures.size(), 2u);
  EXPECT_EQ(note->signatures[1].line, *line);
  auto timestamp = VerifyCosignature(note->body, note->signatures[1], witness);
  ASSERT_TRUE(timestamp.ok()) << timestamp.status().ToString();
  EXPECT_EQ(*timestamp, 1700000000u);
  // The log's checkpoint still opens with the cosignature beside it.
  EXPECT_TRUE(OpenCheckpoint(*text, log.verifier).ok());
  // The log's own line is not this witness's cosignature.
  EXPECT_EQ(VerifyCosignature(note->body, note->signatures[0], witness).status().code(),
            Status::Code::kNotFound);
  // Nor may a cosigner's key open checkpoints as the log.
  EXPECT_EQ(OpenCheckpoint(*text, witness).status().code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(Cosign(log.body, witness.name(), witness_key, uint64_t{1} << 63).ok());
  EXPECT_FALSE(Cosign("not a checkpoint\n", witness.name(), witness_key, 1).ok());
}

TEST(NoteTest, CosignatureOverAnotherBodyIsRefused) {
  Log log;
  SigningKey witness_key = *SigningKey::Generate();
  const NoteVerifier witness = AgentCosigner(std::string(64, 'b'), witness_key.public_key());
  const std::string forked = CheckpointBody(log.name, 12, merkle::LeafHash("fork"));
  auto line = Cosign(forked, witness.name(), witness_key, 1700000000);
  ASSERT_TRUE(line.ok());
  auto note = ParseNote(*AddSignatureLines(log.Signed(), {*line}));
  ASSERT_TRUE(note.ok());
  auto refused = VerifyCosignature(note->body, note->signatures[1], witness);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kCorruption);
  EXPECT_NE(refused.status().message().find("does not verify"), std::string::npos);
  // Another witness's key under the same name: not this cosigner's line.
  const NoteVerifier other =
      AgentCosigner(std::string(64, 'b'), SigningKey::Generate()->public_key());
  EXPECT_EQ(VerifyCosignature(note->body, note->signatures[1], other).status().code(),
            Status::Code::kNotFound);
  // A truncated cosignature (a plain signature, no timestamp) is refused.
  NoteSignature plain = note->signatures[1];
  plain.signature = plain.signature.substr(8);
  EXPECT_EQ(VerifyCosignature(note->body, plain, witness).status().code(),
            Status::Code::kCorruption);
}

TEST(NoteTest, SignNoteRefusesWhatItCouldNotReadBack) {
  SigningKey key = *SigningKey::Generate();
  EXPECT_FALSE(SignNote("no newline", "n", key).ok());
  EXPECT_FALSE(SignNote("tab\there\n", "n", key).ok());
  EXPECT_FALSE(SignNote("ok\n", "with space", key).ok());
  EXPECT_FALSE(SignNote("ok\n", "with+plus", key).ok());
  EXPECT_FALSE(SignNote("ok\n", "", key).ok());
  EXPECT_TRUE(SignNote("ok\n\nwith a blank line inside\n", "n", key).ok());
}

}  // namespace
}  // namespace shoko::evidence
