// The compliance matrix: the roll-up of docs/controls.md, "Compliance roll-up"
// (worst latest verdict of a control's checks and its child controls; FAIL >
// ERROR > stale > PASS; not applicable and info do not count), the store's
// mapping over signed refs, and the statement of applicability and exceptions
// applied per host.
#include "store/compliance.h"

#include <gtest/gtest.h>

#include "platform/text_table.h"
#include "platform/time_format.h"

namespace shoko::store {
namespace {

using controls::Catalog;
using controls::Mapping;
using controls::Soa;

constexpr int64_t kDay = 86400LL * 1000000;
// 2026-11-26T00:00:00Z
constexpr int64_t kNow = 1795651200LL * 1000000;

const char kCatalog[] = R"(version: "t1"
frameworks:
  ismap:
    title: test
    controls:
      - {id: "5.1", kind: objective, title_en: Policies, theme: organizational}
      - {id: "7.1", kind: objective, title_en: Perimeters, theme: physical}
      - {id: "8.5", kind: objective, title_en: Authentication, theme: technological,
         importance: low, threats: [credential-theft]}
      - {id: "8.8", kind: objective, title_en: Vulnerabilities, theme: technological,
         importance: high, threats: [exploitation, malware]}
      - {id: "8.8.1", kind: detailed, parent: "8.8", title_en: Patches}
      - {id: "8.8.2", kind: detailed, parent: "8.8", title_en: Scans}
  nist80053r5:
    title: NIST
    controls:
      - {id: SI-2, kind: control, title_en: Flaw Remediation}
)";

const char kMapping[] = R"(version: "m1"
checks:
  patch.pending: [ismap:8.8.1, nist80053r5:SI-2]
  patch.scan: [ismap:8.8.2]
  patch.reboot: [ismap:8.8]
  access.password: [ismap:8.5]
)";

struct Fixture {
  Catalog catalog = Catalog::Parse(kCatalog, "catalog.yaml").value();
  Mapping mapping = Mapping::Parse(kMapping, "mapping.yaml").value();
  std::vector<Soa> statements;
  ComplianceContext Context() {
    ComplianceContext c;
    c.catalog = &catalog;
    c.mapping = &mapping;
    c.statements = &statements;
    c.now_us = kNow;
    c.stale_grace = std::chrono::hours(1);
    return c;
  }
  void AddStatement(const std::string& yaml) {
    auto soa = Soa::Parse(yaml, "soa.yaml", catalog);
    ASSERT_TRUE(soa.ok()) << soa.status().ToString();
    statements.push_back(std::move(soa).value());
  }
};

std::string Agent(char c) { return std::string(64, c); }

HostEvidence Host(char id, const std::string& service, const std::string& group = "") {
  HostEvidence h;
  h.agent_id = Agent(id);
  h.hostname = std::string("host-") + id;
  if (!service.empty()) h.labels["service"] = service;
  if (!group.empty()) h.labels["group"] = group;
  h.last_collected_at_us = kNow - 60 * 1000000LL;
  return h;
}

void Verdict(HostEvidence& h, const std::string& check, v1::Verdict v,
             int64_t collected = kNow - 60 * 1000000LL, uint64_t refresh = 86400,
             std::vector<std::string> signed_refs = {}) {
  h.checks[check] = {1, v, collected, refresh, std::move(signed_refs)};
}

v1::ComplianceReport Build(Fixture& f, const std::vector<HostEvidence>& hosts,
                           v1::ComplianceRequest request = {}) {
  auto r = BuildCompliance(request, f.Context(), hosts);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : v1::ComplianceReport{};
}

// The row of `ref`; a missing one fails the test and reads as empty cells.
const v1::ComplianceControl& Row(const v1::ComplianceReport& r, const std::string& ref) {
  for (const auto& c : r.controls()) {
    if (c.ref() == ref) return c;
  }
  ADD_FAILURE() << "no row " << ref;
  static const v1::ComplianceControl none = [] {
    v1::ComplianceControl c;
    for (int i = 0; i < 8; ++i) c.add_cells();
    return c;
  }();
  return none;
}

TEST(ComplianceTest, AControlIsTheWorstOfItsChecksAndItsChildren) {
  Fixture f;
  HostEvidence h = Host('a', "");
  Verdict(h, "patch.pending", v1::PASS);
  Verdict(h, "patch.scan", v1::ERROR);
  Verdict(h, "patch.reboot", v1::NOT_APPLICABLE);
  Verdict(h, "access.password", v1::INFO);
  auto r = Build(f, {h});
  EXPECT_EQ(Row(r, "ismap:8.8.1").status(), "pass");
  EXPECT_EQ(Row(r, "ismap:8.8.2").status(), "error");
  // Its own check is not applicable; a child's error decides.
  EXPECT_EQ(Row(r, "ismap:8.8").status(), "error");
  EXPECT_EQ(Row(r, "ismap:8.8").cells(0).failing_checks(0), "patch.scan");
  EXPECT_EQ(Row(r, "ismap:8.5").status(), "info");  // evidence, but no verdict
  EXPECT_EQ(Row(r, "ismap:5.1").status(), "no_evidence");
  EXPECT_EQ(r.controls_size(), 6);  // ismap's rows only: SI-2 is another framework's
  EXPECT_EQ(Row(r, "ismap:8.8").checks_size(), 3);  // its own and its children's

  Verdict(h, "patch.pending", v1::FAIL);
  EXPECT_EQ(Row(Build(f, {h}), "ismap:8.8").status(), "fail");  // FAIL > ERROR
  Verdict(h, "patch.pending", v1::NOT_APPLICABLE);
  Verdict(h, "patch.scan", v1::NOT_APPLICABLE);
  EXPECT_EQ(Row(Build(f, {h}), "ismap:8.8").status(), "not_applicable");
}

TEST(ComplianceTest, APassOlderThanItsRefreshIsStaleAFailStaysAFail) {
  Fixture f;
  HostEvidence h = Host('a', "");
  // Due one day after collection; the grace is an hour.
  Verdict(h, "patch.pending", v1::PASS, kNow - kDay - 2 * 3600 * 1000000LL);
  Verdict(h, "patch.scan", v1::PASS, kNow - kDay + 1000000LL);
  Verdict(h, "access.password", v1::PASS, kNow - 30 * kDay, /*refresh=*/0);
  Verdict(h, "patch.reboot", v1::FAIL, kNow - 30 * kDay);
  auto r = Build(f, {h});
  EXPECT_EQ(Row(r, "ismap:8.8.1").status(), "stale");
  EXPECT_EQ(Row(r, "ismap:8.8.1").cells(0).failing_checks(0), "patch.pending");
  EXPECT_EQ(Row(r, "ismap:8.8.2").status(), "pass");
  EXPECT_EQ(Row(r, "ismap:8.5").status(), "pass");  // refresh 0: never due
  EXPECT_EQ(Row(r, "ismap:8.8").status(), "fail");
  h.checks.erase("patch.reboot");
  EXPECT_EQ(Row(Build(f, {h}), "ismap:8.8").status(), "stale");  // stale > PASS
}

TEST(ComplianceTest, TheStoresMappingDecidesAndUnmappedChecksKeepTheirSignedRefs) {
  Fixture f;
  HostEvidence h = Host('a', "");
  // Signed when the agent mapped patch.pending to 8.5: the store maps it to 8.8.1.
  Verdict(h, "patch.pending", v1::FAIL, kNow, 86400, {"ismap:8.5"});
  Verdict(h, "custom.extra", v1::FAIL, kNow, 86400, {"ismap:5.1", "ismap:9.9", "cis:1.1"});
  auto r = Build(f, {h});
  EXPECT_EQ(Row(r, "ismap:8.8.1").status(), "fail");
  EXPECT_EQ(Row(r, "ismap:8.5").status(), "no_evidence");
  EXPECT_EQ(Row(r, "ismap:5.1").status(), "fail");
  EXPECT_EQ(Row(r, "ismap:5.1").checks(0), "custom.extra");
  v1::ComplianceRequest nist;
  nist.set_framework("nist80053r5");
  EXPECT_EQ(Row(Build(f, {h}, nist), "nist80053r5:SI-2").status(), "fail");
}

TEST(ComplianceTest, AnExcludedControlStaysExcludedWithItsFailingEvidenceInView) {
  Fixture f;
  f.AddStatement(R"(service: {name: svc}
controls:
  - {control: ismap:8.8, status: excluded, reason: not_reasonably_applicable,
     rationale: no packages, approved_by: CISO, approved_on: 2026-04-10}
  - {control: ismap:8.8.2, status: implemented}
  - {control: ismap:7.1, status: inherited,
     provider: {service: IaaS, registration: C23-0001-1}}
)");
  HostEvidence h = Host('a', "svc");
  Verdict(h, "patch.pending", v1::FAIL);
  Verdict(h, "patch.scan", v1::FAIL);
  auto r = Build(f, {h});
  const auto& cell = Row(r, "ismap:8.8").cells(0);
  EXPECT_EQ(cell.status(), "excluded");
  EXPECT_EQ(cell.evidence_status(), "fail");
  EXPECT_EQ(cell.note(),
            "excluded (not_reasonably_applicable): no packages — approved by CISO "
            "on 2026-04-10");
  // The objective's exclusion covers the detailed control below it …
  EXPECT_EQ(Row(r, "ismap:8.8.1").status(), "excluded");
  EXPECT_EQ(Row(r, "ismap:8.8.1").cells(0).failing_checks(0), "patch.pending");
  EXPECT_NE(Row(r, "ismap:8.8.1").cells(0).note().find("(declared for ismap:8.8)"),
            std::string::npos);
  // … unless that one is declared implemented itself.
  EXPECT_EQ(Row(r, "ismap:8.8.2").status(), "fail");
  EXPECT_EQ(Row(r, "ismap:7.1").status(), "inherited");
  EXPECT_EQ(Row(r, "ismap:7.1").cells(0).note(), "inherited from IaaS (ISMAP C23-0001-1)");
  EXPECT_EQ(r.hosts(0).statement(), "soa.yaml");
  EXPECT_EQ(r.warnings_size(), 0);

  // A host of another service is not under this statement.
  HostEvidence other = Host('b', "elsewhere");
  Verdict(other, "patch.pending", v1::FAIL);
  auto both = Build(f, {h, other});
  EXPECT_EQ(Row(both, "ismap:8.8").cells(1).status(), "fail");
  EXPECT_EQ(Row(both, "ismap:8.8").status(), "fail");  // the worst over the hosts
  ASSERT_EQ(both.warnings_size(), 1);
  EXPECT_EQ(both.warnings(0),
            "no statement of applicability for service 'elsewhere' on 1 host: every control "
            "counts as implemented there");
}

TEST(ComplianceTest, AnExceptionCoversItsHostsUntilItExpiresThenFailsAndAlerts) {
  Fixture f;
  f.AddStatement(R"(service: {name: svc}
exceptions:
  - {control: ismap:8.8.1, labels: {group: legacy}, reason: window, approved_by: Ops,
     expires: 2026-11-26}
  - {control: ismap:8.5, agents: [)" +
                 Agent('b') + R"(], reason: old, approved_by: Ops,
     expires: 2026-10-31}
)");
  HostEvidence legacy = Host('a', "svc", "legacy");
  HostEvidence web = Host('b', "svc", "web");
  for (HostEvidence* h : {&legacy, &web}) {
    Verdict(*h, "patch.pending", v1::FAIL);
    Verdict(*h, "access.password", v1::PASS);
  }
  auto r = Build(f, {web, legacy});
  ASSERT_EQ(r.hosts_size(), 2);
  EXPECT_EQ(r.hosts(0).hostname(), "host-a");  // by hostname
  const auto& row = Row(r, "ismap:8.8.1");
  EXPECT_EQ(row.cells(0).status(), "excepted");  // its last day is today
  EXPECT_EQ(row.cells(0).evidence_status(), "fail");
  EXPECT_EQ(row.cells(0).note(), "exception until 2026-11-26: window — approved by Ops");
  EXPECT_EQ(row.cells(1).status(), "fail");  // group web is not covered
  // An excepted detailed control does not fail its objective on that host.
  EXPECT_EQ(Row(r, "ismap:8.8").cells(0).status(), "no_evidence");
  EXPECT_EQ(Row(r, "ismap:8.8").cells(1).status(), "fail");
  // Expired: the passing host counts as failing again, with an alert.
  EXPECT_EQ(Row(r, "ismap:8.5").cells(1).status(), "fail");
  EXPECT_EQ(Row(r, "ismap:8.5").cells(1).evidence_status(), "pass");
  EXPECT_EQ(Row(r, "ismap:8.5").cells(0).status(), "pass");
  ASSERT_EQ(r.alerts_size(), 1);
  EXPECT_EQ(r.alerts(0).kind(), "exception-expired");
  EXPECT_EQ(r.alerts(0).control(), "ismap:8.5");
  ASSERT_EQ(r.alerts(0).agent_ids_size(), 1);
  EXPECT_EQ(r.alerts(0).agent_ids(0), Agent('b'));
  EXPECT_EQ(r.alerts(0).detail(),
            "soa.yaml:5: the exception for ismap:8.5 expired on 2026-10-31 (approved by Ops): it "
            "counts as failing again");

  // The next day the first one has expired too: the objective fails on both.
  Fixture later;
  later.statements = f.statements;
  ComplianceContext next = later.Context();
  next.now_us = kNow + kDay;
  auto r2 = BuildCompliance({}, next, {web, legacy});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(Row(*r2, "ismap:8.8.1").cells(0).status(), "fail");
  EXPECT_EQ(Row(*r2, "ismap:8.8").cells(0).status(), "fail");
  EXPECT_EQ(r2->alerts_size(), 2);
}

TEST(ComplianceTest, ARenewedExceptionHoldsBesideTheExpiredOne) {
  Fixture f;
  f.AddStatement(R"(service: {name: svc}
exceptions:
  - {control: ismap:8.8, labels: {service: svc}, reason: first, approved_by: Ops,
     expires: 2026-06-30}
  - {control: ismap:8.8, labels: {service: svc}, reason: renewed, approved_by: Ops,
     expires: 2027-06-30}
)");
  HostEvidence h = Host('a', "svc");
  Verdict(h, "patch.pending", v1::FAIL);
  auto r = Build(f, {h});
  EXPECT_EQ(Row(r, "ismap:8.8").cells(0).status(), "excepted");
  EXPECT_EQ(Row(r, "ismap:8.8.1").cells(0).status(), "excepted");  // below the excepted one
  // The expired one is still an alert about the statement, on no host.
  ASSERT_EQ(r.alerts_size(), 1);
  EXPECT_EQ(r.alerts(0).agent_ids_size(), 0);
}

TEST(ComplianceTest, ReportsFilterAndSortByImportanceThreatAndStatus) {
  Fixture f;
  HostEvidence h = Host('a', "");
  Verdict(h, "patch.pending", v1::PASS);
  Verdict(h, "access.password", v1::FAIL);
  auto refs = [](const v1::ComplianceReport& r) {
    std::vector<std::string> out;
    for (const auto& c : r.controls()) out.push_back(c.ref());
    return out;
  };
  v1::ComplianceRequest q;
  q.set_sort("importance");
  EXPECT_EQ(refs(Build(f, {h}, q)),
            (std::vector<std::string>{"ismap:8.8", "ismap:8.5", "ismap:5.1", "ismap:7.1",
                                      "ismap:8.8.1", "ismap:8.8.2"}));
  q.set_sort("status");
  EXPECT_EQ(refs(Build(f, {h}, q)),
            (std::vector<std::string>{"ismap:8.5", "ismap:5.1", "ismap:7.1", "ismap:8.8.2",
                                      "ismap:8.8", "ismap:8.8.1"}));
  q = {};
  q.set_threat("malware");
  EXPECT_EQ(refs(Build(f, {h}, q)), std::vector<std::string>{"ismap:8.8"});
  q = {};
  q.set_importance("low");
  EXPECT_EQ(refs(Build(f, {h}, q)), std::vector<std::string>{"ismap:8.5"});
  q = {};
  q.set_status("pass");
  EXPECT_EQ(refs(Build(f, {h}, q)), (std::vector<std::string>{"ismap:8.8", "ismap:8.8.1"}));
  EXPECT_EQ(Row(Build(f, {h}, q), "ismap:8.8").importance(), "high");

  for (auto [field, value, message] :
       {std::tuple{"framework", "nope",
                   "framework: no 'nope' in the store's catalog (ismap, "
                   "nist80053r5)"},
        std::tuple{"sort", "size", "sort: 'size' is not control, importance or status"},
        std::tuple{"status", "green",
                   "status: 'green' is not one of fail, error, stale, pass, info, "
                   "not_applicable, no_evidence, excepted, inherited, excluded"}}) {
    v1::ComplianceRequest bad;
    bad.GetReflection()->SetString(&bad, bad.GetDescriptor()->FindFieldByName(field), value);
    auto r = BuildCompliance(bad, f.Context(), {h});
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.status().message(), message);
  }
}

TEST(ComplianceTest, HostsAreChosenByServiceAndAgent) {
  Fixture f;
  std::vector<HostEvidence> hosts = {Host('a', "svc"), Host('b', "svc"), Host('c', "other")};
  v1::ComplianceRequest q;
  q.set_service("svc");
  EXPECT_EQ(Build(f, hosts, q).hosts_size(), 2);
  q.set_agent_id("bbbb");
  auto r = Build(f, hosts, q);
  ASSERT_EQ(r.hosts_size(), 1);
  EXPECT_EQ(r.hosts(0).agent_id(), Agent('b'));
  EXPECT_EQ(Row(r, "ismap:5.1").cells_size(), 1);
  // No host at all: every control has no evidence, and says so.
  q.set_service("none");
  EXPECT_EQ(Row(Build(f, hosts, q), "ismap:8.8").status(), "no_evidence");
}

TEST(ComplianceTest, AHostsLatestRecordIsItsLastInTheChainNotByItsClock) {
  HostEvidence h;
  auto record = [](uint64_t seq, int64_t seconds, const std::string& check, v1::Verdict v,
                   const std::string& group) {
    v1::Evidence ev;
    ev.set_seq(seq);
    ev.mutable_collected_at()->set_seconds(seconds);
    ev.set_check_id(check);
    ev.set_verdict(v);
    ev.set_kind(v1::OBSERVATION);
    ev.mutable_labels()->set_group(group);
    ev.mutable_host()->set_hostname("h-" + group);
    ev.add_controls("ismap:8.8");
    return ev;
  };
  const int64_t arrived = 10000 * 1000000LL;
  // The clock jumped ahead, then back: seq 2 is dated before seq 1.
  h.Add(record(1, 9000, "patch.pending", v1::PASS, "old"), arrived);
  h.Add(record(2, 200, "patch.pending", v1::FAIL, "new"), arrived);
  ASSERT_EQ(h.checks.size(), 1u);
  EXPECT_EQ(h.checks["patch.pending"].verdict, v1::FAIL);
  EXPECT_EQ(h.checks["patch.pending"].signed_controls, std::vector<std::string>{"ismap:8.8"});
  EXPECT_EQ(h.labels["group"], "new");
  EXPECT_EQ(h.hostname, "h-new");
  EXPECT_FALSE(h.labels.contains("service"));  // unset labels are absent
  // Listed out of order (it cannot happen within one chain, but a record
  // before the held one never wins).
  h.Add(record(1, 9000, "patch.pending", v1::PASS, "old"), arrived);
  EXPECT_EQ(h.checks["patch.pending"].verdict, v1::FAIL);
  EXPECT_EQ(h.labels["group"], "new");
  // Dated a year ahead: it counts from its arrival, so it can go stale.
  h.Add(record(3, 10000 + 365 * 86400, "patch.scan", v1::PASS, "new"), arrived);
  EXPECT_EQ(h.checks["patch.scan"].collected_at_us, arrived);
  v1::Evidence lifecycle = record(4, 10001, "agent.lifecycle.stop", v1::INFO, "last");
  lifecycle.set_kind(v1::LIFECYCLE);
  h.Add(lifecycle, arrived + 1000000);
  EXPECT_EQ(h.checks.size(), 2u);  // observations only
  EXPECT_EQ(h.labels["group"], "last");
  EXPECT_EQ(h.last_seq, 4u);
}

TEST(ComplianceTest, TheStaleBoundaryIsRefreshPlusGrace) {
  Fixture f;
  HostEvidence h = Host('a', "");
  const int64_t due = kNow - (86400 + 3600) * 1000000LL;  // refresh 1 day, grace 1 h
  Verdict(h, "patch.pending", v1::PASS, due);
  Verdict(h, "patch.scan", v1::PASS, due - 1);
  Verdict(h, "access.password", v1::PASS, kNow, /*refresh=*/UINT64_MAX);  // never, no overflow
  auto r = Build(f, {h});
  EXPECT_EQ(Row(r, "ismap:8.8.1").status(), "pass");  // due this very microsecond
  EXPECT_EQ(Row(r, "ismap:8.8.2").status(), "stale");
  EXPECT_EQ(Row(r, "ismap:8.5").status(), "pass");
}

TEST(ComplianceTest, EvidenceUnderDeclarationsStaysInViewAtEveryLevel) {
  Fixture f;
  f.AddStatement(R"(service: {name: svc}
controls:
  - {control: ismap:8.8, status: excluded, reason: not_reasonably_applicable,
     rationale: none, approved_by: CISO, approved_on: 2026-04-10}
exceptions:
  - {control: ismap:8.8.1, labels: {service: svc}, reason: window, approved_by: Ops,
     expires: 2027-01-31}
  - {control: ismap:8.5, labels: {service: svc}, reason: old, approved_by: Ops,
     expires: 2026-01-31}
)");
  HostEvidence h = Host('a', "svc");
  Verdict(h, "patch.pending", v1::FAIL);
  auto r = Build(f, {h});
  // 8.8.1's exception takes it out of 8.8's status, not out of its evidence.
  const auto& objective = Row(r, "ismap:8.8").cells(0);
  EXPECT_EQ(objective.status(), "excluded");
  EXPECT_EQ(objective.evidence_status(), "fail");
  ASSERT_EQ(objective.failing_checks_size(), 1);
  EXPECT_EQ(objective.failing_checks(0), "patch.pending");
  EXPECT_EQ(Row(r, "ismap:8.8.1").cells(0).evidence_status(), "fail");
}

TEST(ComplianceTest, AnExpiredExceptionFailsItsObjectiveEvenOverPassingEvidence) {
  Fixture f;
  f.AddStatement(R"(service: {name: svc}
exceptions:
  - {control: ismap:8.8.1, labels: {service: svc}, reason: window, approved_by: Ops,
     expires: 2026-11-25}
)");
  HostEvidence h = Host('a', "svc");
  Verdict(h, "patch.pending", v1::PASS);
  Verdict(h, "patch.scan", v1::PASS);
  auto r = Build(f, {h});
  EXPECT_EQ(Row(r, "ismap:8.8.1").cells(0).status(), "fail");
  EXPECT_EQ(Row(r, "ismap:8.8").cells(0).status(), "fail");
  EXPECT_EQ(Row(r, "ismap:8.8").cells(0).evidence_status(), "pass");  // what the host shows
  EXPECT_EQ(r.alerts_size(), 1);
}

TEST(ComplianceTest, AStatementAppliesOnlyToItsOwnFramework) {
  Fixture f;
  f.AddStatement(R"(service: {name: svc}
controls:
  - {control: ismap:8.8.1, status: excluded, reason: not_reasonably_applicable,
     rationale: none, approved_by: CISO, approved_on: 2026-04-10}
)");
  HostEvidence h = Host('a', "svc");
  Verdict(h, "patch.pending", v1::FAIL);
  v1::ComplianceRequest nist;
  nist.set_framework("nist80053r5");
  auto r = Build(f, {h}, nist);
  EXPECT_EQ(Row(r, "nist80053r5:SI-2").status(), "fail");
  EXPECT_EQ(r.hosts(0).statement(), "");
  ASSERT_EQ(r.warnings_size(), 1);
  EXPECT_EQ(r.warnings(0),
            "soa.yaml states ismap controls: not applied to this nist80053r5 report");
  EXPECT_EQ(Row(Build(f, {h}), "ismap:8.8.1").status(), "excluded");
}

TEST(ComplianceTest, InfoAndNotApplicableDoNotCountOverTheFleet) {
  Fixture f;
  HostEvidence pass = Host('a', ""), info = Host('b', ""), na = Host('c', "");
  Verdict(pass, "access.password", v1::PASS);
  Verdict(info, "access.password", v1::INFO);
  Verdict(na, "access.password", v1::NOT_APPLICABLE);
  EXPECT_EQ(Row(Build(f, {pass, info, na}), "ismap:8.5").status(), "pass");
  EXPECT_EQ(Row(Build(f, {info, na}), "ismap:8.5").status(), "info");
}

bool HasWarning(const v1::ComplianceReport& r, const std::string& warning) {
  return std::find(r.warnings().begin(), r.warnings().end(), warning) != r.warnings().end();
}

// A heartbeat record with `seconds` as its interval, as the agent writes it.
v1::Evidence Heartbeat(uint64_t seq, double seconds, int64_t at_us) {
  v1::Evidence ev;
  ev.set_seq(seq);
  ev.set_kind(v1::LIFECYCLE);
  ev.set_check_id(std::string(kHeartbeatCheckId));
  (*ev.mutable_facts()->mutable_fields())["heartbeat_seconds"].set_number_value(seconds);
  ev.mutable_collected_at()->set_seconds(at_us / 1000000);
  return ev;
}

TEST(ComplianceTest, AHeartbeatRecordSetsTheIntervalTheHostIsHeldTo) {
  HostEvidence h;
  EXPECT_EQ(h.heartbeat_seconds, 0u);
  h.Add(Heartbeat(3, 600, kNow), kNow);
  EXPECT_EQ(h.heartbeat_seconds, 600u);
  h.Add(Heartbeat(2, 60, kNow), kNow);  // older in the chain: changes nothing
  EXPECT_EQ(h.heartbeat_seconds, 600u);
  h.Add(Heartbeat(4, 0, kNow), kNow);  // not an interval
  EXPECT_EQ(h.heartbeat_seconds, 600u);
  h.Add(Heartbeat(5, 1800, kNow), kNow);
  EXPECT_EQ(h.heartbeat_seconds, 1800u);
  EXPECT_EQ(h.last_seq, 5u);
}

TEST(ComplianceTest, ASilentHostNeverPassesItsFailuresStay) {
  Fixture f;  // stale_grace 1 h
  HostEvidence quiet = Host('a', ""), talking = Host('b', "");
  for (HostEvidence* h : {&quiet, &talking}) {
    Verdict(*h, "access.password", v1::PASS, kNow - 2 * kDay, /*refresh=*/0);
    Verdict(*h, "patch.reboot", v1::FAIL, kNow - 2 * kDay);
  }
  // No heartbeat yet: held to 900 s, so 2 × 900 s + 1 h.
  quiet.last_collected_at_us = kNow - (2 * 900 + 3600 + 1) * 1000000LL;
  talking.last_collected_at_us = kNow - (2 * 900 + 3600) * 1000000LL;
  auto r = Build(f, {quiet, talking});
  ASSERT_EQ(r.hosts_size(), 2);
  EXPECT_TRUE(r.hosts(0).silent());
  EXPECT_FALSE(r.hosts(1).silent());
  EXPECT_EQ(r.hosts(0).heartbeat_seconds(), 900u);
  EXPECT_EQ(Row(r, "ismap:8.5").cells(0).status(), "stale");
  EXPECT_EQ(Row(r, "ismap:8.5").cells(0).failing_checks(0), "access.password");
  EXPECT_EQ(Row(r, "ismap:8.5").cells(1).status(), "pass");
  EXPECT_EQ(Row(r, "ismap:8.5").status(), "stale");
  EXPECT_EQ(Row(r, "ismap:8.8").cells(0).status(), "fail");
  EXPECT_TRUE(HasWarning(r,
                         "1 silent host: nothing recorded within twice the heartbeat interval "
                         "plus stale_grace, so none of its passes counts (stale)"));
  // Its own heartbeat interval, when it has sent one, is what it is held to.
  quiet.heartbeat_seconds = 3600;
  auto longer = Build(f, {quiet});
  EXPECT_FALSE(longer.hosts(0).silent());
  EXPECT_EQ(longer.hosts(0).heartbeat_seconds(), 3600u);
  EXPECT_EQ(Row(longer, "ismap:8.5").cells(0).status(), "pass");
}

TEST(ComplianceTest, ARevokedHostIsShownAsSuchAndNeverPasses) {
  Fixture f;
  HostEvidence h = Host('a', "");
  Verdict(h, "access.password", v1::PASS);
  h.state = "revoked";
  auto r = Build(f, {h});
  EXPECT_EQ(r.hosts(0).state(), "revoked");
  EXPECT_FALSE(r.hosts(0).silent());
  EXPECT_EQ(Row(r, "ismap:8.5").cells(0).status(), "stale");
  EXPECT_TRUE(
      HasWarning(r, "1 revoked host: its evidence stands, none of its passes counts (stale)"));
  EXPECT_FALSE(HasWarning(r,
                          "1 silent host: nothing recorded within twice the heartbeat "
                          "interval plus stale_grace, so none of its passes counts (stale)"));
  h.state = "active";
  EXPECT_EQ(Build(f, {h}).hosts(0).state(), "active");
  EXPECT_EQ(Row(Build(f, {h}), "ismap:8.5").status(), "pass");
}

TEST(ComplianceTest, ExpiryIsByUtcDay) {
  EXPECT_EQ(platform::FormatUtcDate(kNow), "2026-11-26");
  EXPECT_EQ(platform::FormatUtcDate(kNow - 1), "2026-11-25");
  EXPECT_EQ(platform::FormatUtcDate(-1), "1969-12-31");
}

}  // namespace
}  // namespace shoko::store
