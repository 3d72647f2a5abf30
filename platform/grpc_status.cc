#include "platform/grpc_status.h"

namespace shoko::platform {
namespace {

using Code = Status::Code;

// Every gRPC code a peer may answer with, and the Status kind it means. ToGrpc
// answers a kind with the first code listed for it, so the canonical code of
// each kind comes first.
struct CodePair {
  grpc::StatusCode grpc;
  Code status;
};
constexpr CodePair kCodes[] = {
    {grpc::StatusCode::UNAVAILABLE, Code::kUnavailable},
    {grpc::StatusCode::DEADLINE_EXCEEDED, Code::kUnavailable},
    // The peer pushes back, the call was cut off, or a commit failed: retry later.
    {grpc::StatusCode::RESOURCE_EXHAUSTED, Code::kUnavailable},
    {grpc::StatusCode::CANCELLED, Code::kUnavailable},
    {grpc::StatusCode::ABORTED, Code::kUnavailable},
    {grpc::StatusCode::INVALID_ARGUMENT, Code::kInvalidArgument},
    {grpc::StatusCode::OUT_OF_RANGE, Code::kInvalidArgument},
    // The peer found what it holds, or what it was sent, inconsistent.
    {grpc::StatusCode::DATA_LOSS, Code::kCorruption},
    {grpc::StatusCode::FAILED_PRECONDITION, Code::kCorruption},
    {grpc::StatusCode::ALREADY_EXISTS, Code::kCorruption},
    {grpc::StatusCode::PERMISSION_DENIED, Code::kPermissionDenied},
    {grpc::StatusCode::UNAUTHENTICATED, Code::kPermissionDenied},
    {grpc::StatusCode::NOT_FOUND, Code::kNotFound},
    {grpc::StatusCode::UNIMPLEMENTED, Code::kNotSupported},
    {grpc::StatusCode::INTERNAL, Code::kInternal},
    {grpc::StatusCode::INTERNAL, Code::kIOError},
};

}  // namespace

Status FromGrpc(const grpc::Status& status, std::string_view peer) {
  if (status.ok()) return Status::OK();
  Code code = Code::kInternal;  // UNKNOWN and anything unlisted
  for (const CodePair& pair : kCodes) {
    if (pair.grpc == status.error_code()) {
      code = pair.status;
      break;
    }
  }
  return Status::FromCode(code, std::string(peer) + ": " + status.error_message());
}

grpc::Status ToGrpc(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  for (const CodePair& pair : kCodes) {
    if (pair.status == status.code()) return grpc::Status(pair.grpc, status.message());
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, status.message());
}

}  // namespace shoko::platform
