#include "store/serve.h"

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <iostream>

#include "platform/grpc_tls.h"
#include "platform/local_files.h"
#include "platform/time_format.h"
#include "store/admin_service.h"
#include "store/audit_service.h"
#include "store/enrollment_service.h"
#include "store/ingest_service.h"
#include "store/log_key.h"
#include "store/log_service.h"
#include "store/merkle_log.h"
#include "store/reports.h"
#include "store/sequencer.h"
#include "store/store_log.h"

namespace shoko::store {
namespace {

// Stop signals are taken synchronously by the serving thread (sigtimedwait);
// they are blocked before gRPC starts its threads, so that none of those
// takes one.
sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

void Override(const std::string& flag, std::string* field) {
  if (!flag.empty()) *field = flag;
}

Result<std::shared_ptr<grpc::ServerCredentials>> CredentialsFor(const StoreConfig& config) {
  if (config.insecure_loopback) return grpc::InsecureServerCredentials();
  return platform::ServerTlsCredentials({config.tls_ca, config.tls_cert, config.tls_key});
}

// The one line on stdout (scripts and tests wait for it to know the store is
// up), and the log's account of what is served.
void AnnounceListening(const StoreConfig& config, int port) {
  const std::string address =
      config.listen.substr(0, config.listen.rfind(':')) + ":" + std::to_string(port);
  std::cout << "listening on " << address << std::endl;
  Log("serving " + (IsPostgresUrl(config.db) ? std::string("a PostgreSQL ledger") : config.db) +
      " on " + address +
      (config.insecure_loopback ? " (plaintext, loopback only)"
                                : " (TLS, client certificates from " + config.tls_ca + ")"));
}

// Waits for a stop signal, raising the alerts for exceptions that expire
// meanwhile: at start, then hourly. The signal's number.
int WaitForStop(const sigset_t& stop_signals, ExpiredExceptionAlerts* alerts) {
  auto raise_alerts = [&] {
    for (const std::string& notice :
         alerts->Due(platform::FormatUtcDate(platform::WallClockMicros())))
      Log("ALERT exception-expired: " + notice);
  };
  raise_alerts();
  const timespec hourly{3600, 0};
  int sig = 0;
  while ((sig = sigtimedwait(&stop_signals, nullptr, &hourly)) < 0) {
    if (errno == EAGAIN) raise_alerts();
  }
  return sig;
}

// The config file with the flags that name files over it, unchecked.
Result<StoreConfig> ConfigWithFiles(const ServeFlags& flags) {
  StoreConfig config;
  if (!flags.config.empty()) {
    SHOKO_ASSIGN_OR_RETURN(config, LoadStoreConfig(flags.config));
  }
  Override(flags.db, &config.db);
  Override(flags.log_key, &config.log_key);
  return config;
}

}  // namespace

Result<StoreConfig> ResolveConfig(const ServeFlags& flags) {
  SHOKO_ASSIGN_OR_RETURN(StoreConfig config, ConfigWithFiles(flags));
  Override(flags.listen, &config.listen);
  Override(flags.tls_cert, &config.tls_cert);
  Override(flags.tls_key, &config.tls_key);
  Override(flags.tls_ca, &config.tls_ca);
  Override(flags.tls_ca_key, &config.tls_ca_key);
  if (flags.insecure_loopback) config.insecure_loopback = true;
  if (!flags.soa.empty()) config.soa = flags.soa;
  SHOKO_RETURN_IF_ERROR(ValidateStoreConfig(config));
  return config;
}

Result<std::unique_ptr<Ledger>> OpenConfiguredLedger(const StoreConfig& config) {
  const size_t slash = config.db.rfind('/');
  if (!IsPostgresUrl(config.db) && slash != std::string::npos && slash > 0) {
    SHOKO_RETURN_IF_ERROR(platform::MakeDirs(config.db.substr(0, slash), 0700).WithContext("db"));
  }
  return OpenLedger(config.db);
}

Result<std::optional<platform::CertificateAuthority>> LoadEnrollmentCa(const StoreConfig& config) {
  if (config.tls_ca_key.empty()) return std::optional<platform::CertificateAuthority>();
  auto ca = [&]() -> Result<platform::CertificateAuthority> {
    SHOKO_ASSIGN_OR_RETURN(std::string ca_pem, platform::ReadLocalFile(config.tls_ca, 1 << 20));
    SHOKO_ASSIGN_OR_RETURN(std::string key_pem,
                           platform::ReadLocalFile(config.tls_ca_key, 1 << 20));
    return platform::CertificateAuthority::Load(ca_pem, key_pem);
  }();
  if (!ca.ok()) return ca.status().WithContext("tls_ca_key");
  return std::optional<platform::CertificateAuthority>(std::move(ca).value());
}

Result<std::unique_ptr<grpc::Server>> StartServer(
    const StoreConfig& config, const std::shared_ptr<grpc::ServerCredentials>& credentials,
    const std::vector<grpc::Service*>& services, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen, credentials, port);
  builder.SetMaxReceiveMessageSize(16 << 20);
  // Keepalive: notice dead peers, and allow the agents' 30 s pings.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 20000);
  // gRPC turns SO_REUSEPORT on by default, which lets a second store bind the
  // same port and split uploads between two databases.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || *port == 0) {
    return Status::InvalidArgument("cannot listen on " + config.listen +
                                   " (address in use, or not an address of this host)");
  }
  return server;
}

Result<std::string> LogVerifierKey(const ServeFlags& flags) {
  SHOKO_ASSIGN_OR_RETURN(const StoreConfig config, ConfigWithFiles(flags));
  SHOKO_ASSIGN_OR_RETURN(const LogSigner signer, LogSigner::Load(config));
  return signer.verifier().ToString();
}

namespace {

// The log the store serves from, its identity pinned in the database, and
// its sequencer (started) unless the config says this store never sequences.
struct ServedLog {
  std::unique_ptr<MerkleLog> log;
  std::unique_ptr<Sequencer> sequencer;
};

Result<ServedLog> OpenServedLog(const StoreConfig& config, const LogSigner& signer) {
  ServedLog served;
  SHOKO_ASSIGN_OR_RETURN(served.log, MerkleLog::Open(config.db));
  SHOKO_RETURN_IF_ERROR(served.log->Pin(signer.identity()));
  if (!config.sequencer) {
    Log("this store never sequences the log (sequencer: false)");
    return served;
  }
  SHOKO_ASSIGN_OR_RETURN(std::unique_ptr<MerkleLog> own, MerkleLog::Open(config.db));
  SequencerOptions options;
  options.checkpoint_interval = config.checkpoint_interval;
  options.checkpoint_leaves = config.checkpoint_leaves;
  served.sequencer =
      std::make_unique<Sequencer>(std::move(own), &signer, options, platform::WallClockMicros);
  served.sequencer->Start();
  return served;
}

}  // namespace

Status Serve(const ServeFlags& flags) {
  const sigset_t stop_signals = BlockStopSignals();
  SHOKO_ASSIGN_OR_RETURN(const StoreConfig config, ResolveConfig(flags));
  SHOKO_ASSIGN_OR_RETURN(std::unique_ptr<Ledger> ledger, OpenConfiguredLedger(config));
  SHOKO_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                         CredentialsFor(config));
  SHOKO_ASSIGN_OR_RETURN(std::unique_ptr<StoreReports> reports, StoreReports::Load(config));
  SHOKO_ASSIGN_OR_RETURN(std::optional<platform::CertificateAuthority> ca,
                         LoadEnrollmentCa(config));
  SHOKO_ASSIGN_OR_RETURN(const LogSigner signer, LogSigner::Load(config));
  SHOKO_ASSIGN_OR_RETURN(ServedLog served, OpenServedLog(config, signer));
  // With TLS every call is checked against its caller's certificate.
  const bool require_identity = !config.insecure_loopback;
  IngestService ingest(ledger.get(), platform::WallClockMicros, require_identity,
                       config.max_upload_streams);
  AuditService audit(ledger.get(), served.log.get(), require_identity, reports->Context(),
                     platform::WallClockMicros);
  AdminService admin(ledger.get(), platform::WallClockMicros, require_identity);
  EnrollmentService enrollment(ledger.get(), std::move(ca), config.agent_cert_days,
                               platform::WallClockMicros, signer.verifier().ToString());
  LogService log(served.log.get(), ledger.get(), require_identity, platform::WallClockMicros);
  int port = 0;
  SHOKO_ASSIGN_OR_RETURN(
      std::unique_ptr<grpc::Server> server,
      StartServer(config, credentials, {&ingest, &audit, &admin, &enrollment, &log}, &port));
  AnnounceListening(config, port);
  ExpiredExceptionAlerts alerts(&reports->statements());
  Log("stopping on signal " + std::to_string(WaitForStop(stop_signals, &alerts)));
  // Let in-flight streams finish their current commit, then cut them off.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server->Wait();
  served.sequencer.reset();  // after its current step
  Log("stopped");
  return Status::OK();
}

}  // namespace shoko::store
