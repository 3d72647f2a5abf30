#include "evidence/keys.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "evidence/encoding.h"
#include "platform/local_files.h"

namespace shoko::evidence {
namespace {

constexpr size_t kRawKeyBytes = 32;

std::string OpenSslError() {
  unsigned long err = ERR_get_error();
  ERR_clear_error();
  if (err == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(err, buf, sizeof buf);
  return buf;
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

Result<std::string> RawPublic(EVP_PKEY* pkey) {
  unsigned char raw[kRawKeyBytes];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != kRawKeyBytes) {
    return Status::InvalidArgument("not an Ed25519 key: " + OpenSslError());
  }
  return std::string(reinterpret_cast<char*>(raw), len);
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

Result<PublicKey> PublicKey::FromRaw(std::string_view raw) {
  if (raw.size() != kRawKeyBytes) {
    return Status::InvalidArgument("Ed25519 public key must be 32 bytes, got " +
                                   std::to_string(raw.size()));
  }
  return PublicKey(std::string(raw));
}

Result<PublicKey> PublicKey::FromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) return Status::InvalidArgument("not a PEM public key: " + OpenSslError());
  if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
    return Status::InvalidArgument("public key is not Ed25519");
  }
  auto raw = RawPublic(pkey.get());
  if (!raw.ok()) return raw.status();
  return PublicKey(std::move(raw).value());
}

PublicKey::PublicKey(std::string raw)
    : raw_(std::move(raw)),
      key_id_(platform::HexEncode(platform::Sha256(raw_))),
      pkey_(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                        reinterpret_cast<const unsigned char*>(raw_.data()),
                                        raw_.size()),
            EVP_PKEY_free) {}

std::string PublicKey::ToPem() const {
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw_.data()), raw_.size()));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!pkey || !bio || PEM_write_bio_PUBKEY(bio.get(), pkey.get()) != 1) return "";
  return BioContents(bio.get());
}

bool PublicKey::Verify(std::string_view message, std::string_view sig) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!pkey_ || !ctx) return false;
  bool ok =
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  ERR_clear_error();
  return ok;
}

SigningKey::SigningKey(EVP_PKEY* pkey, PublicKey pub) : pkey_(pkey), public_key_(std::move(pub)) {}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : pkey_(other.pkey_), public_key_(std::move(other.public_key_)) {
  other.pkey_ = nullptr;
}

SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(pkey_);
    pkey_ = other.pkey_;
    public_key_ = std::move(other.public_key_);
    other.pkey_ = nullptr;
  }
  return *this;
}

SigningKey::~SigningKey() { EVP_PKEY_free(pkey_); }

Result<SigningKey> SigningKey::Generate() {
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!pkey) return Status::Internal("Ed25519 key generation failed: " + OpenSslError());
  auto pub = RawPublic(pkey.get());
  if (!pub.ok()) return pub.status();
  return SigningKey(pkey.release(), PublicKey(std::move(pub).value()));
}

Result<SigningKey> SigningKey::FromSeed(std::string_view seed) {
  if (seed.size() != kRawKeyBytes) return Status::InvalidArgument("Ed25519 seed must be 32 bytes");
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
  if (!pkey) return Status::InvalidArgument("bad Ed25519 seed: " + OpenSslError());
  auto pub = RawPublic(pkey.get());
  if (!pub.ok()) return pub.status();
  return SigningKey(pkey.release(), PublicKey(std::move(pub).value()));
}

Result<SigningKey> SigningKey::FromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  // Never echo OpenSSL's reason here: it may quote the key material.
  ERR_clear_error();
  if (!pkey) return Status::InvalidArgument("not a PEM private key");
  if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
    return Status::InvalidArgument("private key is not Ed25519");
  }
  auto pub = RawPublic(pkey.get());
  if (!pub.ok()) return pub.status();
  return SigningKey(pkey.release(), PublicKey(std::move(pub).value()));
}

Result<std::string> SigningKey::Sign(std::string_view message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(64, '\0');
  size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return Status::Internal("Ed25519 signing failed: " + OpenSslError());
  }
  sig.resize(len);
  return sig;
}

std::string SigningKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), pkey_, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return "";
  }
  return BioContents(bio.get());
}

Result<SigningKey> LoadPrivateKeyFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::FromErrno(path, errno);
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    return Status::PermissionDenied(path + ": private key has mode " + mode +
                                    "; it must not be accessible by group or others (chmod 600)");
  }
  if (st.st_uid != ::geteuid()) {
    return Status::PermissionDenied(path + ": private key is owned by uid " +
                                    std::to_string(st.st_uid) + ", not by this user");
  }
  auto pem = platform::ReadLocalFile(path, 64 * 1024);
  if (!pem.ok()) return pem.status();
  auto key = SigningKey::FromPem(*pem);
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

Status SaveKeyPair(const std::string& key_path, const std::string& pub_path,
                   const SigningKey& key) {
  SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(key_path, key.ToPem(), 0600));
  return platform::WriteFileAtomic(pub_path, key.public_key().ToPem(), 0644);
}

Result<SigningKey> LoadOrCreateKeyPair(const std::string& dir, bool* created) {
  return LoadOrCreateKeyPair(dir + "/agent.key", dir + "/agent.pub", created);
}

Result<SigningKey> LoadOrCreateKeyPair(const std::string& key_path, const std::string& pub_path,
                                       bool* created) {
  if (created != nullptr) *created = false;
  if (::access(key_path.c_str(), F_OK) != 0) {
    if (errno != ENOENT) return Status::FromErrno(key_path, errno);
    if (::access(pub_path.c_str(), F_OK) == 0) {
      return Status::InvalidArgument(pub_path + " exists but " + key_path +
                                     " does not: refusing to replace the agent's identity");
    }
    auto key = SigningKey::Generate();
    if (!key.ok()) return key.status();
    SHOKO_RETURN_IF_ERROR(SaveKeyPair(key_path, pub_path, *key));
    if (created != nullptr) *created = true;
    return key;
  }
  auto key = LoadPrivateKeyFile(key_path);
  if (!key.ok()) return key.status();
  auto pub_pem = platform::ReadLocalFile(pub_path, 64 * 1024);
  if (pub_pem.status().IsNotFound()) {
    // Re-create a lost public half from the private key.
    SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(pub_path, key->public_key().ToPem(), 0644));
    return key;
  }
  if (!pub_pem.ok()) return pub_pem.status();
  auto pub = PublicKey::FromPem(*pub_pem);
  if (!pub.ok()) return pub.status().WithContext(pub_path);
  if (pub->raw() != key->public_key().raw()) {
    return Status::InvalidArgument(pub_path + ": does not match " + key_path);
  }
  return key;
}

}  // namespace shoko::evidence
