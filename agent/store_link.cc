#include "agent/store_link.h"

#include "agent/enrollment.h"
#include "agent/log.h"
#include "platform/time_format.h"

namespace shoko::agent {
namespace {

// How the agent talks to the store: gzip (evidence compresses well), keepalive
// pings so that a dead link is noticed, bounded messages.
grpc::ChannelArguments UploadChannelArguments() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  args.SetMaxSendMessageSize(16 << 20);
  args.SetCompressionAlgorithm(GRPC_COMPRESS_GZIP);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  // A peer that accepts the connection but never completes the handshake
  // costs at most this long per attempt.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 5000);
  return args;
}

}  // namespace

std::optional<platform::TlsFiles> StoreTls(const AgentConfig& config) {
  if (config.store_insecure_loopback) return std::nullopt;
  const StateDir dir(config.state_dir);
  return platform::TlsFiles{config.store_ca,
                            config.store_cert.empty() ? dir.tls_cert_file() : config.store_cert,
                            config.store_key.empty() ? dir.tls_key_file() : config.store_key};
}

StoreLink::StoreLink(const AgentConfig& config, StateDir* dir, evidence::PublicKey first_key)
    : config_(config), dir_(dir), first_key_(std::move(first_key)), tls_(StoreTls(config)) {
  options_.connect_timeout = config.connect_timeout;
  options_.upload_timeout = config.upload_timeout;
  options_.max_records_per_second = config.drain_rate;
}

Result<std::unique_ptr<StoreLink>> StoreLink::Open(const AgentConfig& config, StateDir* dir,
                                                   Recorder* recorder) {
  if (config.store_address.empty()) {
    return Status::InvalidArgument(config.source + ": 'store' is required for run");
  }
  // Everything that can be wrong with the config is found before any record.
  SHOKO_ASSIGN_OR_RETURN(evidence::PublicKey first_key, FirstPublicKey(*dir, dir->identity()));
  SHOKO_ASSIGN_OR_RETURN(std::optional<evidence::NoteVerifier> log_key, PinnedLogKey(config, *dir));
  std::unique_ptr<StoreLink> link(new StoreLink(config, dir, std::move(first_key)));
  if (log_key) {
    link->witness_ = std::make_unique<Witness>(std::move(*log_key), dir->checkpoint_file(),
                                               dir->identity().agent_id, &dir->outbox(), recorder,
                                               config.inclusion_timeout);
  } else {
    Log("no log key pinned (store.log_key, or the one enroll saves): acknowledged records are "
        "deleted without checking that the store's log includes them");
  }
  SHOKO_RETURN_IF_ERROR(link->Connect());
  return link;
}

Status StoreLink::Connect() {
  SHOKO_ASSIGN_OR_RETURN(
      channel_, platform::OpenChannel(config_.store_address, tls_, UploadChannelArguments()));
  uploader_ =
      std::make_unique<Uploader>(channel_, config_.store_address, first_key_,
                                 dir_->identity().agent_id, &dir_->outbox(), witness_ != nullptr);
  log_ = NewTransparencyLogClient(channel_, config_.store_address, options_.upload_timeout);
  return Status::OK();
}

void StoreLink::RenewCertificateIfDue() {
  // An enrolled agent renews its certificate before it runs out, then
  // reconnects with the new one.
  if (!tls_) return;
  auto renewed = agent::RenewIfDue(channel_, {tls_->cert, tls_->key}, platform::WallClockMicros());
  if (!renewed.ok()) {
    Log("certificate renewal failed: " + renewed.status().message());
  } else if (*renewed) {
    Log("renewed the TLS certificate " + tls_->cert);
    (void)Connect();  // on failure the old channel stays, and says so at upload
  }
}

Status StoreLink::Upload() {
  RenewCertificateIfDue();
  auto uploaded = uploader_->Drain(options_);
  if (!uploaded.ok()) {
    Log("upload failed: " + uploaded.status().message() + "; " +
        std::to_string(dir_->outbox().Depth()) + " record(s) kept in the outbox");
    return uploaded.status();
  }
  Log("store acknowledged " + std::to_string(*uploaded) + " record(s)");
  return witness_ ? CheckLog() : Status::OK();
}

Status StoreLink::CheckLog() {
  auto round = witness_->Check(*log_, dir_->identity().key, platform::WallClockMicros());
  if (!round.ok()) {
    Log("cannot check the store's log: " + round.status().message() + "; " +
        std::to_string(dir_->outbox().AwaitingInclusion()) +
        " acknowledged record(s) wait in the outbox");
    return round.status();
  }
  if (round->checkpoint_size == 0) {
    // No checkpoint yet, an older one, or one that failed (an incident).
    if (round->awaiting > 0) {
      Log("no checkpoint of the store's log verified this round: " +
          std::to_string(round->awaiting) + " acknowledged record(s) wait in the outbox");
    }
  } else if (round->included > 0 || round->awaiting > 0 || round->cosigned) {
    Log("log checkpoint " + std::to_string(round->checkpoint_size) + " verified" +
        (round->cosigned ? " and cosigned" : "") + ": " + std::to_string(round->included) +
        " record(s) included and deleted, " + std::to_string(round->awaiting) +
        " awaiting inclusion");
  }
  if (!round->incidents.empty()) {
    return Status::Corruption("the store's log: " + round->incidents.front().detail);
  }
  return Status::OK();
}

}  // namespace shoko::agent
