#include "platform/grpc_status.h"

namespace shoko::platform {

Status FromGrpc(const grpc::Status& status, std::string_view peer) {
  std::string msg = std::string(peer) + ": " + status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return Status::OK();
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:  // the peer pushes back: retry later
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::ABORTED:  // a transaction that failed: try again
      return Status::Unavailable(std::move(msg));
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return Status::InvalidArgument(std::move(msg));
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::DATA_LOSS:
      return Status::Corruption(std::move(msg));
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return Status::PermissionDenied(std::move(msg));
    case grpc::StatusCode::NOT_FOUND:
      return Status::NotFound(std::move(msg));
    case grpc::StatusCode::UNIMPLEMENTED:
      return Status::NotSupported(std::move(msg));
    default:
      return Status::Internal(std::move(msg));
  }
}

grpc::Status ToGrpc(const Status& status) {
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (status.code()) {
    case Status::Code::kOk:
      return grpc::Status::OK;
    case Status::Code::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case Status::Code::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case Status::Code::kCorruption:
      code = grpc::StatusCode::DATA_LOSS;
      break;
    case Status::Code::kPermissionDenied:
      code = grpc::StatusCode::PERMISSION_DENIED;
      break;
    case Status::Code::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case Status::Code::kNotSupported:
      code = grpc::StatusCode::UNIMPLEMENTED;
      break;
    case Status::Code::kIOError:
    case Status::Code::kInternal:
      break;
  }
  return grpc::Status(code, status.message());
}

}  // namespace shoko::platform
