// The one mapping between gRPC's status codes and shoko's Status, used by
// every client (agent, shokoctl, load generator) and every service.
#ifndef SHOKO_PLATFORM_GRPC_STATUS_H_
#define SHOKO_PLATFORM_GRPC_STATUS_H_

#include <grpcpp/grpcpp.h>

#include <string_view>

#include "platform/status.h"

namespace shoko::platform {

// A client's view of a failed call to `peer` ("store 127.0.0.1:7443"): the
// message is "PEER: what the peer said".
//   UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED, ABORTED → Unavailable
//   (retry later); INVALID_ARGUMENT, OUT_OF_RANGE → InvalidArgument;
//   FAILED_PRECONDITION, ALREADY_EXISTS, DATA_LOSS → Corruption (the peer
//   found what it holds or was sent inconsistent); PERMISSION_DENIED,
//   UNAUTHENTICATED → PermissionDenied; NOT_FOUND → NotFound; UNIMPLEMENTED →
//   NotSupported; anything else → Internal.
Status FromGrpc(const grpc::Status& status, std::string_view peer);

// A service's answer for a failed Status: the inverse of FromGrpc, with
// IOError and Internal as INTERNAL.
grpc::Status ToGrpc(const Status& status);

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_GRPC_STATUS_H_
