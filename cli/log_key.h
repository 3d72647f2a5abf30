// The log key an auditor pins (docs/interfaces.md, "Pinning the log key"):
// `--log-key FILE`, else the file shokoctl.yaml's `log_key` names. The file
// holds the store's C2SP verifier key, the one line `shoko-store log-key
// --public` prints; it is obtained out of band, never from the store it
// checks.
#ifndef SHOKO_CLI_LOG_KEY_H_
#define SHOKO_CLI_LOG_KEY_H_

#include <optional>
#include <string>
#include <string_view>

#include "evidence/note.h"
#include "platform/status.h"

namespace CLI {
class App;
}

namespace shoko::cli {

// --log-key FILE on `command`, bound to `file`.
void AddLogKeyOption(CLI::App* command, std::string* file);

// The pinned key from `flag_file` (--log-key), else from shokoctl.yaml;
// nullopt when neither names one. Errors name the file, and the config line
// when the config named it: a missing file, a line that is not a verifier
// key, a key that is not a log's (Ed25519, type 0x01).
Result<std::optional<evidence::NoteVerifier>> PinnedLogKey(const std::string& flag_file);

// As PinnedLogKey, for commands that cannot work without one: InvalidArgument
// saying how to pin it when none is.
Result<evidence::NoteVerifier> RequiredLogKey(const std::string& flag_file,
                                              std::string_view command);

// What commands say when they check nothing against a log key.
std::string NoLogKeyPinned();

}  // namespace shoko::cli

#endif  // SHOKO_CLI_LOG_KEY_H_
