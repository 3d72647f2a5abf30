#include "cli/pki_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "platform/exit_code.h"
#include "platform/local_files.h"

namespace shoko::cli {
namespace {

bool IsName(const std::string& s) {
  return !s.empty() && s.size() <= 64 &&
         s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
             std::string::npos;
}

Status InitCa(const PkiInit& request, std::ostream& out) {
  if (request.dir.empty()) return Status::InvalidArgument("pki init needs --dir DIR");
  const std::string cert = request.dir + "/ca.crt", key = request.dir + "/ca.key";
  if (::access(cert.c_str(), F_OK) == 0 || ::access(key.c_str(), F_OK) == 0) {
    return Status::InvalidArgument(request.dir + " already holds a CA; refusing to replace it");
  }
  if (request.days < 1 || request.days > 36500 || !IsName(request.name)) {
    return Status::InvalidArgument(
        "--name must be 1-64 of A-Z a-z 0-9 . _ - and --days 1 to 36500");
  }
  SHOKO_RETURN_IF_ERROR(platform::MakeDirs(request.dir, 0700));
  SHOKO_ASSIGN_OR_RETURN(auto ca,
                         platform::CertificateAuthority::Create(request.name, request.days));
  SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(key, ca.key_pem(), 0600));
  SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(cert, ca.cert_pem(), 0644));
  out << "CA '" << request.name << "' written to " << cert << " and " << key
      << " (keep the key offline)\n";
  return Status::OK();
}

Status IssueCertificate(const PkiIssue& request, std::ostream& out) {
  SHOKO_ASSIGN_OR_RETURN(
      auto spec, platform::IdentitySpec(request.role, request.name, request.hosts, request.days));
  auto cert_pem = platform::ReadLocalFile(request.dir + "/ca.crt", 1 << 20);
  auto key_pem = platform::ReadLocalFile(request.dir + "/ca.key", 1 << 20);
  if (!cert_pem.ok() || !key_pem.ok()) {
    return (!cert_pem.ok() ? cert_pem.status() : key_pem.status())
        .WithNote("run shokoctl pki init --dir " + request.dir + " first");
  }
  auto ca = platform::CertificateAuthority::Load(*cert_pem, *key_pem);
  if (!ca.ok()) return ca.status().WithContext(request.dir);
  SHOKO_ASSIGN_OR_RETURN(auto issued, ca->IssueWithNewKey(spec));
  const std::string base = request.dir + "/" + request.name;
  SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(base + ".key", issued.key_pem, 0600));
  SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(base + ".crt", issued.cert_pem, 0644));
  out << request.role << " certificate " << spec.uris[0] << " written to " << base << ".crt and "
      << base << ".key\n";
  return Status::OK();
}

}  // namespace

int RunPkiInit(const PkiInit& request, std::ostream& out, std::ostream& err) {
  Status s = InitCa(request, out);
  return s.ok() ? kExitOk : Fail(s, err);
}

int RunPkiIssue(const PkiIssue& request, std::ostream& out, std::ostream& err) {
  Status s = IssueCertificate(request, out);
  return s.ok() ? kExitOk : Fail(s, err);
}

void AddPkiCommands(CLI::App& app, Commands& commands) {
  CLI::App* pki = app.add_subcommand("pki", "The deployment's certificate authority.");
  pki->require_subcommand(1);
  auto init_request = std::make_shared<PkiInit>();
  CLI::App* init = pki->add_subcommand("init", "Create the CA: DIR/ca.crt and DIR/ca.key.");
  init->add_option("--dir", init_request->dir, "Where the CA lives.")->required()->type_name("DIR");
  init->add_option("--name", init_request->name, "The CA's name.")->type_name("NAME");
  init->add_option("--days", init_request->days, "Validity in days.")->type_name("N");
  commands.On(init, [init_request](std::ostream& out, std::ostream& err) {
    return RunPkiInit(*init_request, out, err);
  });

  auto issue_request = std::make_shared<PkiIssue>();
  CLI::App* issue = pki->add_subcommand(
      "issue", "Issue a certificate and key: DIR/NAME.crt, DIR/NAME.key, named shoko://ROLE/NAME.");
  issue->add_option("--dir", issue_request->dir, "The CA's directory.")
      ->required()
      ->type_name("DIR");
  issue->add_option("--role", issue_request->role, "store, agent, auditor, admin or importer.")
      ->required()
      ->type_name("ROLE");
  issue->add_option("--name", issue_request->name, "The holder (an agent: its agent_id).")
      ->required()
      ->type_name("NAME");
  issue
      ->add_option("--host", issue_request->hosts,
                   "A name or address clients dial the store by (repeatable; default: localhost, "
                   "127.0.0.1, ::1).")
      ->type_name("HOST")
      ->allow_extra_args(false);
  issue->add_option("--days", issue_request->days, "Validity in days (default 397).")
      ->type_name("N");
  commands.On(issue, [issue_request](std::ostream& out, std::ostream& err) {
    return RunPkiIssue(*issue_request, out, err);
  });
}

}  // namespace shoko::cli
