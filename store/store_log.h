// The store's log: one line per event on stderr, "shoko-store: …", and the
// refusals of calls, each logged with who and why.
#ifndef SHOKO_STORE_STORE_LOG_H_
#define SHOKO_STORE_STORE_LOG_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <string_view>

namespace shoko::store {

// Writes "shoko-store: MESSAGE".
void Log(std::string_view message);

// Logs "refused WHAT from PEER SUBJECT: WHY" and returns WHY with `code` as
// the call's status. `what` is the call ("upload", "ListEvidence"), `subject`
// who the caller is or claims to be ("agent ID", "(auditor alice)"; may be
// empty). Control characters in `why` become '?', so that no peer can forge
// a log line through it.
grpc::Status Refuse(const grpc::ServerContext& context, std::string_view what,
                    std::string_view subject, grpc::StatusCode code, std::string why);

}  // namespace shoko::store

#endif  // SHOKO_STORE_STORE_LOG_H_
