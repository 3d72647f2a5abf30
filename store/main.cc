// shoko-store: the central audit store (design §1, §7).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <iostream>
#include <set>

#include "controls/catalog.h"
#include "controls/mapping.h"
#include "controls/soa.h"
#include "platform/grpc_tls.h"
#include "platform/local_files.h"
#include "platform/text_table.h"
#include "platform/time_format.h"
#include "platform/x509.h"
#include "shoko/version.h"
#include "store/admin_service.h"
#include "store/audit_service.h"
#include "store/compliance.h"
#include "store/config.h"
#include "store/enrollment_service.h"
#include "store/ingest_service.h"
#include "store/ledger.h"

namespace shoko::store {
namespace {

constexpr int kExitUsage = 2;
constexpr int kExitInternal = 4;

void Log(const std::string& message) { std::cerr << "shoko-store: " << message << std::endl; }

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct ServeFlags {
  std::string config;
  std::string listen;
  std::string db;
  bool insecure_loopback = false;
  std::string tls_cert, tls_key, tls_ca, tls_ca_key;
  std::vector<std::string> soa;
};

int Serve(const ServeFlags& flags) {
  // Stop signals are taken synchronously by the main thread (sigtimedwait below);
  // block them before gRPC starts its threads.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  StoreConfig config;
  if (!flags.config.empty()) {
    auto loaded = LoadStoreConfig(flags.config);
    if (!loaded.ok()) {
      Log("error: " + loaded.status().message());
      return kExitUsage;
    }
    config = std::move(loaded).value();
  }
  if (!flags.listen.empty()) config.listen = flags.listen;
  if (!flags.db.empty()) config.db = flags.db;
  if (flags.insecure_loopback) config.insecure_loopback = true;
  if (!flags.tls_cert.empty()) config.tls_cert = flags.tls_cert;
  if (!flags.tls_key.empty()) config.tls_key = flags.tls_key;
  if (!flags.tls_ca.empty()) config.tls_ca = flags.tls_ca;
  if (!flags.tls_ca_key.empty()) config.tls_ca_key = flags.tls_ca_key;
  if (!flags.soa.empty()) config.soa = flags.soa;
  if (Status s = ValidateStoreConfig(config); !s.ok()) {
    Log("error: " + s.message());
    return kExitUsage;
  }

  const bool postgres =
      config.db.rfind("postgresql://", 0) == 0 || config.db.rfind("postgres://", 0) == 0;
  if (size_t slash = config.db.rfind('/'); !postgres && slash != std::string::npos && slash > 0) {
    if (Status s = platform::MakeDirs(config.db.substr(0, slash), 0700); !s.ok()) {
      Log("error: db: " + s.message());
      return kExitUsage;
    }
  }
  auto ledger = OpenLedger(config.db);
  if (!ledger.ok()) {
    Log("error: " + ledger.status().message());
    return ledger.status().code() == Status::Code::kUnavailable ? 3
           : ledger.status().code() == Status::Code::kInternal  ? kExitInternal
                                                                : kExitUsage;
  }
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!config.insecure_loopback) {
    auto tls = platform::ServerTlsCredentials({config.tls_ca, config.tls_cert, config.tls_key});
    if (!tls.ok()) {
      Log("error: " + tls.status().message());
      return kExitUsage;
    }
    credentials = *tls;
  }
  // With TLS every call is checked against its caller's certificate.
  const bool require_identity = !config.insecure_loopback;
  IngestService ingest(ledger->get(), NowMicros, require_identity, config.max_upload_streams);
  // The catalog and mapping reports use: refs checked against the catalog at
  // start, so that a typo in a re-import stops the store with file and line.
  auto mapping_data = controls::Mapping::LoadOrBuiltIn(config.mapping);
  auto catalog_data = controls::Catalog::LoadOrBuiltIn(config.catalog);
  for (const Status& s : {mapping_data.status(), catalog_data.status()}) {
    if (!s.ok()) {
      Log("error: " + s.message());
      return kExitUsage;
    }
  }
  const controls::Mapping& mapping = **mapping_data;
  const controls::Catalog& catalog = **catalog_data;
  if (const auto problems = catalog.Check(mapping); !problems.empty()) {
    for (const std::string& p : problems) Log("error: " + p);
    return kExitUsage;
  }
  // One statement of applicability per service, checked against the catalog.
  std::vector<controls::Soa> statements;
  for (const std::string& path : config.soa) {
    auto soa = controls::Soa::Load(path, catalog);
    if (!soa.ok()) {
      Log("error: soa: " + soa.status().message());
      return kExitUsage;
    }
    for (const controls::Soa& other : statements) {
      if (other.service() == soa->service()) {
        Log("error: soa: " + path + " and " + other.source() + " both state service '" +
            soa->service() + "'");
        return kExitUsage;
      }
    }
    statements.push_back(std::move(soa).value());
  }
  ComplianceContext reports;
  reports.catalog = &catalog;
  reports.mapping = &mapping;
  reports.statements = &statements;
  reports.stale_grace = config.stale_grace;
  AuditService audit(ledger->get(), require_identity, reports, NowMicros);
  AdminService admin(ledger->get(), NowMicros, require_identity);
  std::optional<platform::CertificateAuthority> enrollment_ca;
  if (!config.tls_ca_key.empty()) {
    auto ca_pem = platform::ReadLocalFile(config.tls_ca, 1 << 20);
    auto key_pem = platform::ReadLocalFile(config.tls_ca_key, 1 << 20);
    auto ca = ca_pem.ok() && key_pem.ok() ? platform::CertificateAuthority::Load(*ca_pem, *key_pem)
                                          : Result<platform::CertificateAuthority>(
                                                !ca_pem.ok() ? ca_pem.status() : key_pem.status());
    if (!ca.ok()) {
      Log("error: tls_ca_key: " + ca.status().message());
      return kExitUsage;
    }
    enrollment_ca.emplace(std::move(ca).value());
  }
  EnrollmentService enrollment(ledger->get(), std::move(enrollment_ca), config.agent_cert_days,
                               NowMicros);

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen, credentials, &port);
  builder.SetMaxReceiveMessageSize(16 << 20);
  // Keepalive: notice dead peers, and allow the agents' 30 s pings.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 20000);
  // gRPC turns SO_REUSEPORT on by default, which lets a second store bind the
  // same port and split uploads between two databases.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(&ingest);
  builder.RegisterService(&audit);
  builder.RegisterService(&admin);
  builder.RegisterService(&enrollment);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    Log("error: cannot listen on " + config.listen +
        " (address in use, or not an address of this host)");
    return kExitUsage;
  }
  std::string host = config.listen.substr(0, config.listen.rfind(':'));
  // The one line on stdout: scripts and tests wait for it to know the store is up.
  std::cout << "listening on " << host << ":" << port << std::endl;
  Log("serving " + std::string(postgres ? "a PostgreSQL ledger" : config.db) + " on " + host + ":" +
      std::to_string(port) +
      (require_identity ? " (TLS, client certificates from " + config.tls_ca + ")"
                        : " (plaintext, loopback only)"));

  // An exception that expires counts as failing again and raises an alert:
  // each one once per run, checked at start and then hourly.
  std::set<std::string> alerted;
  auto alert_expired = [&] {
    const std::string today = platform::FormatUtcDate(NowMicros());
    for (const controls::Soa& soa : statements) {
      for (const std::string& notice : soa.Expired(today)) {
        if (alerted.insert(notice).second) Log("ALERT exception-expired: " + notice);
      }
    }
  };
  alert_expired();
  int sig = 0;
  const timespec hourly{3600, 0};
  while ((sig = sigtimedwait(&stop_signals, nullptr, &hourly)) < 0) {
    if (errno == EAGAIN) alert_expired();
  }
  Log("stopping on signal " + std::to_string(sig));
  // Let in-flight streams finish their current commit, then cut them off.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server->Wait();
  Log("stopped");
  return 0;
}

int Main(int argc, char** argv) {
  CLI::App app{
      "shoko-store: the central audit store. It verifies every signature and chain "
      "and keeps evidence in an append-only ledger."};
  app.set_version_flag("--version", std::string(kShokoVersion));
  app.require_subcommand(1);
  ServeFlags flags;
  CLI::App* serve = app.add_subcommand("serve", "Serve evidence ingest and audit queries.");
  serve->add_option("--config", flags.config, "Store config file (YAML).")->type_name("FILE");
  serve->add_option("--listen", flags.listen, "HOST:PORT to listen on (overrides the config).")
      ->type_name("HOST:PORT");
  serve
      ->add_option("--db", flags.db,
                   "SQLite database file, or postgresql://… URL (overrides the config).")
      ->type_name("FILE|URL")
      ->check([](const std::string& v) { return v.empty() ? "must not be empty" : ""; });
  serve->add_flag("--insecure-loopback", flags.insecure_loopback,
                  "Serve plaintext gRPC; allowed only on a loopback address.");
  serve->add_option("--tls-cert", flags.tls_cert, "The store's certificate (PEM).")
      ->type_name("FILE");
  serve->add_option("--tls-key", flags.tls_key, "The store's private key (PEM).")
      ->type_name("FILE");
  serve->add_option("--tls-ca", flags.tls_ca, "The deployment CA certificate (PEM).")
      ->type_name("FILE");
  serve
      ->add_option("--tls-ca-key", flags.tls_ca_key,
                   "The CA's key: lets the store enroll agents and renew their certificates.")
      ->type_name("FILE");
  serve
      ->add_option("--soa", flags.soa,
                   "A statement of applicability (YAML); repeat for each service "
                   "(overrides the config's soa).")
      ->type_name("FILE");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    Log(std::string("usage: ") + e.what() + " (see --help)");
    return kExitUsage;
  }
  return Serve(flags);
}

}  // namespace
}  // namespace shoko::store

int main(int argc, char** argv) {
  try {
    return shoko::store::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "shoko-store: internal error: " << e.what() << std::endl;
    return 4;
  }
}
