#include "agent/enrollment.h"

#include <algorithm>

#include "evidence/envelope.h"
#include "platform/grpc_status.h"
#include "platform/local_files.h"
#include "platform/x509.h"
#include "shoko/v1/admin.grpc.pb.h"

namespace shoko::agent {
namespace {

// The new key first: a certificate on disk always has its key beside it.
Status Save(const TlsPaths& paths, const std::string& key_pem, const std::string& cert_pem) {
  SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(paths.key + ".new", key_pem, 0600));
  SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(paths.cert + ".new", cert_pem, 0644));
  if (::rename((paths.key + ".new").c_str(), paths.key.c_str()) != 0) {
    return Status::FromErrno("rename " + paths.key, errno);
  }
  if (::rename((paths.cert + ".new").c_str(), paths.cert.c_str()) != 0) {
    return Status::FromErrno("rename " + paths.cert, errno);
  }
  return Status::OK();
}

Result<platform::CertificateInfo> ReadCertificate(const std::string& cert_file) {
  SHOKO_ASSIGN_OR_RETURN(const std::string pem, platform::ReadLocalFile(cert_file, 1 << 20));
  auto info = platform::InspectCertificate(pem);
  if (!info.ok()) return info.status().WithContext(cert_file);
  return info;
}

}  // namespace

Result<int64_t> Enroll(const std::shared_ptr<grpc::Channel>& channel,
                       const evidence::SigningKey& evidence_key, const std::string& token,
                       const TlsPaths& paths, std::string* log_verifier_key) {
  auto request = platform::NewKeyAndRequest(evidence_key.public_key().KeyId());
  if (!request.ok()) return request.status();
  v1::EnrollRequest req;
  req.set_token(token);
  req.set_evidence_public_key(evidence_key.public_key().raw());
  req.set_csr_pem(request->cert_pem);
  auto proof = evidence_key.Sign(
      evidence::Pae(evidence::kEnrollmentProofType, token + "\n" + request->cert_pem));
  if (!proof.ok()) return proof.status();
  req.set_proof(*proof);
  auto stub = v1::Enrollment::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::EnrollResponse resp;
  grpc::Status s = stub->Enroll(&ctx, req, &resp);
  if (!s.ok()) return platform::FromGrpc(s, "enrollment");
  if (resp.agent_id() != evidence_key.public_key().KeyId()) {
    return Status::Internal("the store enrolled agent " + resp.agent_id() + ", not this one");
  }
  SHOKO_RETURN_IF_ERROR(Save(paths, request->key_pem, resp.certificate_pem()));
  if (log_verifier_key != nullptr) *log_verifier_key = resp.log_verifier_key();
  return resp.not_after_us();
}

Result<int64_t> CertificateExpiry(const std::string& cert_file) {
  SHOKO_ASSIGN_OR_RETURN(const platform::CertificateInfo info, ReadCertificate(cert_file));
  return info.not_after_us;
}

Result<bool> RenewIfDue(const std::shared_ptr<grpc::Channel>& channel, const TlsPaths& paths,
                        int64_t now_us) {
  auto info = ReadCertificate(paths.cert);
  if (!info.ok()) return info.status();
  const int64_t life = info->not_after_us - info->not_before_us;
  const int64_t margin = std::min<int64_t>(life / 3, int64_t{30} * 86400 * 1000000);
  if (now_us < info->not_after_us - margin) return false;
  auto request = platform::NewKeyAndRequest(info->common_name);
  if (!request.ok()) return request.status();
  v1::RenewRequest req;
  req.set_csr_pem(request->cert_pem);
  auto stub = v1::Enrollment::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::EnrollResponse resp;
  grpc::Status s = stub->Renew(&ctx, req, &resp);
  if (!s.ok()) return platform::FromGrpc(s, "certificate renewal");
  SHOKO_RETURN_IF_ERROR(Save(paths, request->key_pem, resp.certificate_pem()));
  return true;
}

}  // namespace shoko::agent
