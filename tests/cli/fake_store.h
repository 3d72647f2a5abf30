// An in-process store for shokoctl's unit tests: it serves exactly the
// records a test gives it, so a test can play a store that leaves a record
// out, alters one, or answers in ways the real store never would.
#ifndef SHOKO_TESTS_CLI_FAKE_STORE_H_
#define SHOKO_TESTS_CLI_FAKE_STORE_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/recorder.h"
#include "evidence/chain.h"
#include "evidence/keys.h"
#include "shoko/v1/audit.grpc.pb.h"

namespace shoko::cli::testing {

// One agent's chain of `n` signed records (lifecycle records), as the store
// would list them.
inline std::vector<v1::StoredEvidence> SignedChain(const evidence::SigningKey& key, int n,
                                                   int64_t received_at_us = 1'700'000'000'000'000) {
  agent::RecordContext context;
  context.agent_id = key.public_key().KeyId();
  context.host.hostname = "h";
  agent::ChainSigner signer(context.agent_id, {});
  std::vector<v1::StoredEvidence> chain;
  for (int i = 0; i < n; ++i) {
    auto record =
        signer.Sign(agent::BuildLifecycle(context, "test", {{"i", i}}, received_at_us + i), key);
    v1::StoredEvidence stored;
    stored.mutable_envelope()->ParseFromString(record->envelope);
    stored.set_record_digest(evidence::RecordDigest(stored.envelope().payload()));
    stored.set_received_at_us(received_at_us + i);
    stored.set_public_key(key.public_key().raw());
    chain.push_back(std::move(stored));
  }
  return chain;
}

// AuditQuery over a fixed list of records.
class FakeAuditQuery final : public v1::AuditQuery::Service {
 public:
  void SetRecords(std::vector<v1::StoredEvidence> records) {
    std::lock_guard lock(mu_);
    records_ = std::move(records);
  }
  v1::ListEvidenceRequest last_request() {
    std::lock_guard lock(mu_);
    return last_request_;
  }

  grpc::Status ListEvidence(grpc::ServerContext*, const v1::ListEvidenceRequest* request,
                            grpc::ServerWriter<v1::StoredEvidence>* writer) override {
    std::vector<v1::StoredEvidence> records;
    {
      std::lock_guard lock(mu_);
      last_request_ = *request;
      records = records_;
    }
    for (v1::StoredEvidence& r : records) {
      if (lists && !lists(*request, r)) continue;
      if (request->proof_tree_size() != 0 && prove) prove(request->proof_tree_size(), &r);
      writer->Write(r);
    }
    return grpc::Status::OK;
  }

  void SetIncidents(std::vector<v1::StoreIncident> incidents) {
    std::lock_guard lock(mu_);
    incidents_ = std::move(incidents);
  }
  grpc::Status ListIncidents(grpc::ServerContext*, const v1::ListIncidentsRequest* request,
                             grpc::ServerWriter<v1::StoreIncident>* writer) override {
    std::lock_guard lock(mu_);
    for (const v1::StoreIncident& i : incidents_) {
      if (i.agent_id().starts_with(request->agent_id())) writer->Write(i);
    }
    return grpc::Status::OK;
  }

  // Fills a record's leaf and inclusion proof when ListEvidence asks for
  // proofs against the tree of `size` leaves.
  std::function<void(uint64_t size, v1::StoredEvidence*)> prove;
  // Whether a listing holds a record (default: every listing holds every one).
  std::function<bool(const v1::ListEvidenceRequest&, const v1::StoredEvidence&)> lists;

 private:
  std::mutex mu_;
  std::vector<v1::StoredEvidence> records_;
  std::vector<v1::StoreIncident> incidents_;
  v1::ListEvidenceRequest last_request_;
};

// A plaintext loopback server for the given services.
class FakeStore {
 public:
  explicit FakeStore(std::vector<grpc::Service*> services) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    for (grpc::Service* s : services) builder.RegisterService(s);
    server_ = builder.BuildAndStart();
    address_ = "127.0.0.1:" + std::to_string(port);
  }
  ~FakeStore() { server_->Shutdown(); }
  const std::string& address() const { return address_; }

 private:
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace shoko::cli::testing

#endif  // SHOKO_TESTS_CLI_FAKE_STORE_H_
