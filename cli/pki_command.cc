#include "cli/pki_command.h"

#include <unistd.h>

#include "platform/local_files.h"

namespace shoko::cli {
namespace {

bool IsName(const std::string& s) {
  return !s.empty() && s.size() <= 64 &&
         s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
             std::string::npos;
}

}  // namespace

int RunPkiInit(const PkiInit& request, std::ostream& out, std::ostream& err) {
  if (request.dir.empty()) {
    err << "shokoctl: pki init needs --dir DIR\n";
    return 2;
  }
  const std::string cert = request.dir + "/ca.crt", key = request.dir + "/ca.key";
  if (::access(cert.c_str(), F_OK) == 0 || ::access(key.c_str(), F_OK) == 0) {
    err << "shokoctl: " << request.dir << " already holds a CA; refusing to replace it\n";
    return 2;
  }
  if (request.days < 1 || request.days > 36500 || !IsName(request.name)) {
    err << "shokoctl: --name must be 1-64 of A-Z a-z 0-9 . _ - and --days 1 to 36500\n";
    return 2;
  }
  if (Status s = platform::MakeDirs(request.dir, 0700); !s.ok()) {
    err << "shokoctl: " << s.message() << "\n";
    return 2;
  }
  auto ca = platform::CertificateAuthority::Create(request.name, request.days);
  if (!ca.ok()) {
    err << "shokoctl: " << ca.status().message() << "\n";
    return 4;
  }
  Status s = platform::WriteFileAtomic(key, ca->key_pem(), 0600);
  if (s.ok()) s = platform::WriteFileAtomic(cert, ca->cert_pem(), 0644);
  if (!s.ok()) {
    err << "shokoctl: " << s.message() << "\n";
    return 4;
  }
  out << "CA '" << request.name << "' written to " << cert << " and " << key
      << " (keep the key offline)\n";
  return 0;
}

int RunPkiIssue(const PkiIssue& request, std::ostream& out, std::ostream& err) {
  auto spec = platform::IdentitySpec(request.role, request.name, request.hosts, request.days);
  if (!spec.ok()) {
    err << "shokoctl: " << spec.status().message() << "\n";
    return 2;
  }
  auto cert_pem = platform::ReadLocalFile(request.dir + "/ca.crt", 1 << 20);
  auto key_pem = platform::ReadLocalFile(request.dir + "/ca.key", 1 << 20);
  if (!cert_pem.ok() || !key_pem.ok()) {
    err << "shokoctl: " << (!cert_pem.ok() ? cert_pem.status() : key_pem.status()).message()
        << " (run shokoctl pki init --dir " << request.dir << " first)\n";
    return 2;
  }
  auto ca = platform::CertificateAuthority::Load(*cert_pem, *key_pem);
  if (!ca.ok()) {
    err << "shokoctl: " << request.dir << ": " << ca.status().message() << "\n";
    return 2;
  }
  auto issued = ca->IssueWithNewKey(*spec);
  if (!issued.ok()) {
    err << "shokoctl: " << issued.status().message() << "\n";
    return 4;
  }
  const std::string base = request.dir + "/" + request.name;
  Status s = platform::WriteFileAtomic(base + ".key", issued->key_pem, 0600);
  if (s.ok()) s = platform::WriteFileAtomic(base + ".crt", issued->cert_pem, 0644);
  if (!s.ok()) {
    err << "shokoctl: " << s.message() << "\n";
    return 4;
  }
  out << request.role << " certificate " << spec->uris[0] << " written to " << base << ".crt and "
      << base << ".key\n";
  return 0;
}

}  // namespace shoko::cli
