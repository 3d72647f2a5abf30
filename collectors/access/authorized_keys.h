// authorized_keys(5) lines → what an auditor needs of each key: type, size,
// SHA256 fingerprint (as `ssh-keygen -lf` prints them) and options. The key
// material and its comment (often an e-mail address) are read and dropped.
#ifndef SHOKO_COLLECTORS_ACCESS_AUTHORIZED_KEYS_H_
#define SHOKO_COLLECTORS_ACCESS_AUTHORIZED_KEYS_H_

#include <string>
#include <string_view>
#include <vector>

namespace shoko::collectors::access {

struct AuthorizedKey {
  int line = 0;
  std::string type;   // as written: ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256…
  std::string label;  // as ssh-keygen prints it: ED25519, RSA, ECDSA, DSA, ED25519-SK…
  int bits = 0;
  std::string fingerprint;           // "SHA256:" + unpadded base64
  std::vector<std::string> options;  // option names, lower-case (no-pty, command, from…)
  std::string from;                  // the from= pattern list, when given
  std::string error;                 // why the line is not a usable key; the rest is empty
};

// Every non-blank, non-comment line: a key or, with `error` set, why not.
// Bounded: a line longer than 64 KiB is an error, not parsed.
std::vector<AuthorizedKey> ParseAuthorizedKeys(std::string_view text);

// AuthorizedKeysFile's tokens for one account: %h home, %u user, %U uid,
// %% percent; a relative path is relative to the home directory.
std::vector<std::string> ExpandAuthorizedKeysFiles(std::string_view setting,
                                                   const std::string& user, const std::string& home,
                                                   long long uid);

}  // namespace shoko::collectors::access

#endif  // SHOKO_COLLECTORS_ACCESS_AUTHORIZED_KEYS_H_
