#include "collectors/access/authorized_keys.h"

#include <openssl/evp.h>

#include <cctype>
#include <cstdint>
#include <optional>
#include <sstream>

#include "collectors/common/lines.h"

namespace shoko::collectors::access {
namespace {

constexpr size_t kMaxLine = 64u << 10;

// Strict base64 (the standard alphabet, '=' padding only at the end).
std::optional<std::string> DecodeBase64(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// The SSH wire format's length-prefixed strings.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  std::optional<std::string_view> String() {
    if (data_.size() < 4) return std::nullopt;
    const auto* p = reinterpret_cast<const unsigned char*>(data_.data());
    const uint32_t n =
        (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    if (n > data_.size() - 4) return std::nullopt;
    std::string_view s = data_.substr(4, n);
    data_.remove_prefix(4 + n);
    return s;
  }

 private:
  std::string_view data_;
};

// Bits of an mpint (big-endian, possibly with a leading zero byte).
int MpintBits(std::string_view m) {
  while (!m.empty() && m[0] == 0) m.remove_prefix(1);
  if (m.empty()) return 0;
  int top = 0;
  for (auto b = static_cast<unsigned char>(m[0]); b != 0; b >>= 1) ++top;
  return static_cast<int>((m.size() - 1) * 8) + top;
}

std::string Fingerprint(std::string_view blob) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(blob.data(), blob.size(), digest, &len, EVP_sha256(), nullptr);
  unsigned char b64[64];
  const int n = EVP_EncodeBlock(b64, digest, static_cast<int>(len));
  std::string out(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  return "SHA256:" + out;
}

bool KnownType(std::string_view t) {
  static const char* const kTypes[] = {"ssh-rsa",
                                       "ssh-dss",
                                       "ssh-ed25519",
                                       "ecdsa-sha2-nistp256",
                                       "ecdsa-sha2-nistp384",
                                       "ecdsa-sha2-nistp521",
                                       "sk-ecdsa-sha2-nistp256@openssh.com",
                                       "sk-ssh-ed25519@openssh.com"};
  for (const char* k : kTypes) {
    if (t == k) return true;
  }
  return false;
}

// Type, bits and label from the decoded key blob; false when it does not
// hold the key its type names.
bool Describe(std::string_view blob, AuthorizedKey* key) {
  Reader r(blob);
  auto type = r.String();
  if (!type || *type != key->type) return false;
  if (key->type == "ssh-rsa") {
    auto e = r.String();
    auto n = r.String();
    if (!e || !n) return false;
    key->label = "RSA";
    key->bits = MpintBits(*n);
  } else if (key->type == "ssh-dss") {
    auto p = r.String();
    if (!p) return false;
    key->label = "DSA";
    key->bits = MpintBits(*p);
  } else if (key->type == "ssh-ed25519" || key->type == "sk-ssh-ed25519@openssh.com") {
    auto pk = r.String();
    if (!pk || pk->size() != 32) return false;
    key->label = key->type == "ssh-ed25519" ? "ED25519" : "ED25519-SK";
    key->bits = 256;
  } else {  // ECDSA: curve name, then the point
    auto curve = r.String();
    auto point = r.String();
    if (!curve || !point) return false;
    key->label = key->type.starts_with("sk-") ? "ECDSA-SK" : "ECDSA";
    key->bits = *curve == "nistp256"   ? 256
                : *curve == "nistp384" ? 384
                : *curve == "nistp521" ? 521
                                       : 0;
  }
  return key->bits > 0;  // a zero modulus or an unknown curve is no key
}

// Splits off the options field: up to the first whitespace outside quotes.
std::string_view TakeOptions(std::string_view& line) {
  bool quoted = false;
  size_t i = 0;
  for (; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\\' && quoted && i + 1 < line.size()) {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && (c == ' ' || c == '\t')) {
      break;
    }
  }
  std::string_view options = line.substr(0, i);
  line.remove_prefix(i);
  return options;
}

void ParseOptions(std::string_view text, AuthorizedKey* key) {
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size()) {
      if (text[i] == '\\' && quoted) {
        ++i;
        continue;
      }
      if (text[i] == '"') quoted = !quoted;
      if (quoted || text[i] != ',') continue;
    }
    std::string_view opt = text.substr(start, i - start);
    start = i + 1;
    const size_t eq = opt.find('=');
    std::string name(opt.substr(0, eq));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.empty()) continue;
    key->options.push_back(name);
    if (name == "from" && eq != std::string_view::npos) {
      std::string_view v = opt.substr(eq + 1);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      key->from = std::string(v);
    }
  }
}

}  // namespace

std::vector<AuthorizedKey> ParseAuthorizedKeys(std::string_view text) {
  std::vector<AuthorizedKey> keys;
  Lines lines(text);
  for (std::string_view line; lines.Next(&line);) {
    const int line_no = lines.number();
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line[0] == '#') continue;
    AuthorizedKey key;
    key.line = line_no;
    if (line.size() > kMaxLine) {
      key.error = "line longer than 64 KiB";
      keys.push_back(std::move(key));
      continue;
    }
    // "[options] type base64 [comment]": the first word is options unless it
    // is a key type.
    std::string_view rest = line;
    std::string_view first = rest.substr(0, rest.find_first_of(" \t"));
    std::string_view options;
    const bool cert = first.find("-cert-v01@openssh.com") != std::string_view::npos;
    if (!KnownType(first) && !cert) {
      options = TakeOptions(rest);
    }
    std::istringstream words{std::string(rest)};
    std::string type, base64;
    words >> type >> base64;  // the comment is never read into anything
    key.type = type;
    ParseOptions(options, &key);
    if (type.find("-cert-v01@openssh.com") != std::string::npos) {
      key.error = "certificate (" + type + "): judged by its CA, not listed here";
    } else if (!KnownType(type)) {
      key.error = type.empty() ? "no key type" : "unknown key type";
    } else if (auto blob = DecodeBase64(base64); !blob || !Describe(*blob, &key)) {
      key.error = "the key data is not a valid " + type + " key";
    } else {
      key.fingerprint = Fingerprint(*blob);
    }
    if (!key.error.empty()) {
      const std::string why = key.error;
      key = AuthorizedKey{};
      key.line = line_no;
      key.error = why;
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

std::vector<std::string> ExpandAuthorizedKeysFiles(std::string_view setting,
                                                   const std::string& user, const std::string& home,
                                                   long long uid) {
  std::vector<std::string> files;
  std::istringstream words{std::string(setting)};
  for (std::string w; words >> w;) {
    if (w == "none") continue;
    std::string out;
    for (size_t i = 0; i < w.size(); ++i) {
      if (w[i] != '%' || i + 1 >= w.size()) {
        out.push_back(w[i]);
        continue;
      }
      const char t = w[++i];
      if (t == 'h')
        out += home;
      else if (t == 'u')
        out += user;
      else if (t == 'U')
        out += std::to_string(uid);
      else if (t == '%')
        out.push_back('%');
      else
        out += std::string("%") + t;  // unknown token: as written
    }
    if (out.empty()) continue;
    if (out[0] != '/') out = (home == "/" ? "" : home) + "/" + out;
    files.push_back(out);
  }
  return files;
}

}  // namespace shoko::collectors::access
