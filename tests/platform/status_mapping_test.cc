// The one Status → exit code table and the one gRPC ↔ Status mapping
// (docs/interfaces.md, "Exit codes"; docs/wire-protocol.md, "Status codes on the wire").
#include <gtest/gtest.h>

#include "platform/exit_code.h"
#include "platform/grpc_status.h"

namespace shoko::platform {
namespace {

TEST(ExitCodeTest, EachStatusKindHasTheDocumentedExitCode) {
  EXPECT_EQ(ExitCodeFor(Status::OK()), 0);
  EXPECT_EQ(ExitCodeFor(Status::Corruption("x")), 1);
  EXPECT_EQ(ExitCodeFor(Status::InvalidArgument("x")), 2);
  EXPECT_EQ(ExitCodeFor(Status::NotFound("x")), 2);
  EXPECT_EQ(ExitCodeFor(Status::PermissionDenied("x")), 2);
  EXPECT_EQ(ExitCodeFor(Status::NotSupported("x")), 2);
  EXPECT_EQ(ExitCodeFor(Status::Unavailable("x")), 3);
  EXPECT_EQ(ExitCodeFor(Status::IOError("x")), 4);
  EXPECT_EQ(ExitCodeFor(Status::Internal("x")), 4);
}

// What a client makes of a store's answer, all the way to the exit code.
int ExitFor(grpc::StatusCode code) {
  return ExitCodeFor(FromGrpc(grpc::Status(code, "said"), "store 127.0.0.1:1"));
}

TEST(GrpcStatusTest, AStoresAnswerGivesOneExitCode) {
  for (auto code : {grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::DEADLINE_EXCEEDED,
                    grpc::StatusCode::RESOURCE_EXHAUSTED, grpc::StatusCode::CANCELLED,
                    grpc::StatusCode::ABORTED}) {
    EXPECT_EQ(ExitFor(code), 3) << code;
  }
  for (auto code : {grpc::StatusCode::PERMISSION_DENIED, grpc::StatusCode::UNAUTHENTICATED,
                    grpc::StatusCode::INVALID_ARGUMENT, grpc::StatusCode::OUT_OF_RANGE,
                    grpc::StatusCode::NOT_FOUND, grpc::StatusCode::UNIMPLEMENTED}) {
    EXPECT_EQ(ExitFor(code), 2) << code;
  }
  for (auto code : {grpc::StatusCode::FAILED_PRECONDITION, grpc::StatusCode::ALREADY_EXISTS,
                    grpc::StatusCode::DATA_LOSS}) {
    EXPECT_EQ(ExitFor(code), 1) << code;
  }
  EXPECT_EQ(ExitFor(grpc::StatusCode::INTERNAL), 4);
  EXPECT_EQ(ExitFor(grpc::StatusCode::UNKNOWN), 4);
}

TEST(GrpcStatusTest, TheMessageNamesThePeer) {
  Status s = FromGrpc(grpc::Status(grpc::StatusCode::NOT_FOUND, "no such agent"), "store h:1");
  EXPECT_EQ(s.message(), "store h:1: no such agent");
  EXPECT_TRUE(FromGrpc(grpc::Status::OK, "store h:1").ok());
}

TEST(GrpcStatusTest, AServicesAnswerIsReadBackAsTheSameKind) {
  for (const Status& s :
       {Status::NotFound("m"), Status::InvalidArgument("m"), Status::Corruption("m"),
        Status::PermissionDenied("m"), Status::Unavailable("m"), Status::NotSupported("m"),
        Status::Internal("m")}) {
    grpc::Status wire = ToGrpc(s);
    EXPECT_EQ(wire.error_message(), "m");
    EXPECT_EQ(FromGrpc(wire, "p").code(), s.code()) << s.ToString();
  }
  EXPECT_EQ(ToGrpc(Status::IOError("disk")).error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_TRUE(ToGrpc(Status::OK()).ok());
}

}  // namespace
}  // namespace shoko::platform
