// Ed25519 keys for signing evidence (docs/evidence-format.md, "Identity: key_id and agent_id"), through OpenSSL 3's EVP API.
#ifndef SHOKO_EVIDENCE_KEYS_H_
#define SHOKO_EVIDENCE_KEYS_H_

#include <memory>
#include <string>
#include <string_view>

#include "platform/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace shoko::evidence {

// An Ed25519 public key: 32 raw bytes.
class PublicKey {
 public:
  static Result<PublicKey> FromRaw(std::string_view raw);
  // SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
  static Result<PublicKey> FromPem(std::string_view pem);

  const std::string& raw() const { return raw_; }
  // Lowercase hex SHA-256 of the raw key: the key_id of docs/evidence-format.md, "Identity: key_id and agent_id".
  const std::string& KeyId() const { return key_id_; }
  std::string ToPem() const;
  // True when `sig` is a valid Ed25519 signature of `message` under this key.
  bool Verify(std::string_view message, std::string_view sig) const;

 private:
  friend class SigningKey;
  explicit PublicKey(std::string raw);
  std::string raw_;
  std::string key_id_;
  // OpenSSL's form of the key, made once: building it costs about as much as
  // a verification. Immutable, so copies and threads share it.
  std::shared_ptr<EVP_PKEY> pkey_;
};

// An Ed25519 private key. Never printed, logged or sent anywhere.
class SigningKey {
 public:
  static Result<SigningKey> Generate();
  // From the 32-byte RFC 8032 secret seed (tests and vectors).
  static Result<SigningKey> FromSeed(std::string_view seed);
  // PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----").
  static Result<SigningKey> FromPem(std::string_view pem);

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  ~SigningKey();

  const PublicKey& public_key() const { return public_key_; }
  // The 64-byte Ed25519 signature of `message` (pure Ed25519, no pre-hash).
  Result<std::string> Sign(std::string_view message) const;
  std::string ToPem() const;

 private:
  SigningKey(EVP_PKEY* pkey, PublicKey pub);
  EVP_PKEY* pkey_;
  PublicKey public_key_;
};

// A PKCS#8 PEM private key file. Refuses one that group or others may access
// or that another user owns, as OpenSSH does.
Result<SigningKey> LoadPrivateKeyFile(const std::string& path);

// Writes the private key (0600) and its public key (0644), each atomically.
Status SaveKeyPair(const std::string& key_path, const std::string& pub_path, const SigningKey& key);

// Loads the private key at `key_path` and its public key at `pub_path`,
// creating both when neither exists (and then setting *created). Refuses what
// LoadPrivateKeyFile refuses, and a public key that does not match the
// private one.
Result<SigningKey> LoadOrCreateKeyPair(const std::string& key_path, const std::string& pub_path,
                                       bool* created = nullptr);
// The same for `dir`/agent.key and `dir`/agent.pub.
Result<SigningKey> LoadOrCreateKeyPair(const std::string& dir, bool* created = nullptr);

}  // namespace shoko::evidence

#endif  // SHOKO_EVIDENCE_KEYS_H_
