#include "store/compliance.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

#include "evidence/chain.h"
#include "platform/text_table.h"
#include "platform/time_format.h"

namespace shoko::store {
namespace {

// A cell's status (docs/controls.md, "Cell statuses"). The order is the host
// roll-up's: FAIL > ERROR > stale > PASS; not_applicable and info do not
// count, so they only show when nothing else does. The last three come from
// the statement.
enum class Cell {
  kFail,
  kError,
  kStale,
  kPass,
  kInfo,
  kNotApplicable,
  kNoEvidence,
  kExcepted,
  kInherited,
  kExcluded
};

constexpr std::array<std::string_view, 10> kCellNames = {
    "fail",           "error",       "stale",    "pass",      "info",
    "not_applicable", "no_evidence", "excepted", "inherited", "excluded"};

std::string_view Name(Cell c) { return kCellNames[static_cast<size_t>(c)]; }

// The order of a control's status over the fleet: anything that needs a look
// (a failure, missing evidence, an exception) before what holds.
int FleetRank(Cell c) {
  // By Cell: fail, error, stale, then no_evidence and excepted, then pass;
  // info and not_applicable do not count; inherited and excluded last.
  constexpr int kRank[] = {0, 1, 2, 5, 6, 7, 3, 4, 8, 9};
  return kRank[static_cast<size_t>(c)];
}

Cell Worse(Cell a, Cell b) { return std::min(a, b); }

bool Failing(Cell c) { return c == Cell::kFail || c == Cell::kError || c == Cell::kStale; }

// One check's latest verdict as a cell status; on a host that may not pass
// (silent, or its agent not active) a pass is stale.
std::optional<Cell> OfVerdict(const LatestVerdict& v, const ComplianceContext& context,
                              bool host_may_pass) {
  if (v.verdict == v1::PASS && !host_may_pass) return Cell::kStale;
  switch (v.verdict) {
    case v1::FAIL:
      return Cell::kFail;
    case v1::ERROR:
      return Cell::kError;
    case v1::NOT_APPLICABLE:
      return Cell::kNotApplicable;
    case v1::INFO:
      return Cell::kInfo;
    case v1::PASS: {
      // refresh_seconds comes from the host: past 10,000 years it is never
      // due (and the sum below cannot overflow).
      constexpr uint64_t kForever = 10000ULL * 366 * 86400;
      if (v.refresh_seconds == 0 || v.refresh_seconds > kForever) return Cell::kPass;
      const int64_t due =
          v.collected_at_us +
          (static_cast<int64_t>(v.refresh_seconds) + context.stale_grace.count()) * 1000000;
      return context.now_us > due ? Cell::kStale : Cell::kPass;
    }
    default:
      return std::nullopt;
  }
}

// What the statement says of a control on one host: the declaration that
// governs it (its own, else its nearest ancestor's) and the exceptions that
// cover the host for it or an ancestor.
struct Applied {
  std::optional<Cell> status;  // excluded, inherited, excepted or (expired) fail
  std::string note;
  const controls::SoaException* expired = nullptr;
};

// The refs from `ref` up through its parents.
std::vector<std::string> Lineage(const controls::Catalog& catalog, const std::string& ref) {
  std::vector<std::string> out;
  for (const controls::CatalogControl* k = catalog.Find(ref); k != nullptr;) {
    out.push_back(k->Ref());
    k = k->parent.empty() ? nullptr : catalog.Find(k->framework + ":" + k->parent);
  }
  return out;
}

Applied Apply(const controls::Soa* soa, const std::vector<std::string>& lineage,
              const HostEvidence& host, const std::string& today, bool own_only) {
  Applied out;
  if (soa == nullptr) return out;
  const size_t depth = own_only ? 1 : lineage.size();
  for (size_t i = 0; i < depth; ++i) {
    const controls::SoaEntry* e = soa->Find(lineage[i]);
    if (e == nullptr) continue;
    if (e->status == "excluded") {
      out.status = Cell::kExcluded;
      out.note = "excluded (" + e->reason + "): " + e->rationale + " — approved by " +
                 e->approved_by + " on " + e->approved_on;
    } else if (e->status == "inherited") {
      out.status = Cell::kInherited;
      out.note =
          "inherited from " + e->provider.service + " (ISMAP " + e->provider.registration + ")";
    }
    if (i > 0 && out.status) out.note += " (declared for " + e->control + ")";
    if (out.status) return out;
    break;  // an implemented declaration stands for the controls below it
  }
  const controls::SoaException* active = nullptr;
  for (size_t i = 0; i < depth; ++i) {
    for (const controls::SoaException& x : soa->exceptions()) {
      if (x.control != lineage[i] || !x.Covers(host.labels, host.agent_id)) continue;
      if (x.ExpiredBefore(today)) {
        if (out.expired == nullptr) out.expired = &x;
      } else if (active == nullptr) {
        active = &x;
      }
    }
  }
  // A renewed exception beside its expired predecessor holds.
  if (active != nullptr) {
    out.status = Cell::kExcepted;
    out.note = "exception until " + active->expires + ": " + active->reason + " — approved by " +
               active->approved_by;
    out.expired = nullptr;
  } else if (out.expired != nullptr) {
    out.status = Cell::kFail;
    out.note = "exception expired on " + out.expired->expires + " (" + soa->source() + ":" +
               std::to_string(out.expired->line) + "): it counts as failing again";
  }
  return out;
}

struct HostCell {
  // From the verdicts alone: its checks and every child's evidence.
  Cell evidence = Cell::kNoEvidence;
  std::vector<std::string> failing;
  // Its checks and what each child counts for after the statement.
  Cell counted = Cell::kNoEvidence;
  std::optional<Cell> rollup;  // what the parent counts; none: nothing
  Cell status = Cell::kNoEvidence;
  std::string note;
};

// The heartbeat interval `host` is held to.
uint64_t HeartbeatSeconds(const HostEvidence& host) {
  return host.heartbeat_seconds == 0 ? kDefaultHeartbeatSeconds : host.heartbeat_seconds;
}

// Whether `host` has recorded nothing within twice its heartbeat interval
// plus the grace.
bool Silent(const HostEvidence& host, const ComplianceContext& context) {
  // An interval from the host past 10,000 years is never overdue (and the
  // sum below cannot overflow).
  constexpr uint64_t kForever = 10000ULL * 366 * 86400;
  const uint64_t heartbeat = HeartbeatSeconds(host);
  if (heartbeat > kForever) return false;
  const int64_t allowance =
      (2 * static_cast<int64_t>(heartbeat) + context.stale_grace.count()) * 1000000;
  return context.now_us - host.last_collected_at_us > allowance;
}

}  // namespace

void HostEvidence::Add(const v1::Evidence& ev, int64_t received_at_us) {
  // The chain orders an agent's records; its clock may not. A record dated
  // after it arrived counts from its arrival, so that it goes stale.
  const int64_t at = std::min(evidence::CollectedAtMicros(ev), received_at_us);
  if (ev.seq() >= last_seq) {
    last_seq = ev.seq();
    last_collected_at_us = at;
    hostname = ev.host().hostname();
    labels.clear();
    for (auto [key, value] :
         {std::pair{"service", &ev.labels().service()}, std::pair{"group", &ev.labels().group()},
          std::pair{"environment", &ev.labels().environment()}}) {
      if (!value->empty()) labels[key] = *value;
    }
  }
  if (ev.kind() == v1::LIFECYCLE && ev.check_id() == kHeartbeatCheckId &&
      ev.seq() >= heartbeat_seq) {
    auto interval = ev.facts().fields().find("heartbeat_seconds");
    if (interval != ev.facts().fields().end() && interval->second.has_number_value() &&
        interval->second.number_value() >= 1) {
      heartbeat_seq = ev.seq();
      heartbeat_seconds = static_cast<uint64_t>(std::min(interval->second.number_value(), 1e15));
    }
  }
  if (ev.kind() != v1::OBSERVATION || ev.check_id().empty()) return;
  LatestVerdict& held = checks[ev.check_id()];
  if (held.seq > ev.seq()) return;
  held.seq = ev.seq();
  held.verdict = ev.verdict();
  held.collected_at_us = at;
  held.refresh_seconds = ev.refresh_seconds();
  held.signed_controls.assign(ev.controls().begin(), ev.controls().end());
}

namespace {

// The matrix for one request, built in named steps: the hosts in view, the
// checks on each row, each host's cells, the rows, the alerts and warnings.
class MatrixBuilder {
 public:
  MatrixBuilder(const v1::ComplianceRequest& request, const ComplianceContext& context,
                const controls::CatalogFramework& fw, std::string sort)
      : request_(request),
        context_(context),
        mapping_(*context.mapping),
        fw_(fw),
        framework_(fw.name),
        sort_(std::move(sort)),
        today_(platform::FormatUtcDate(context.now_us)) {
    for (const controls::Soa& soa : *context.statements) statements_[soa.service()] = &soa;
    for (size_t i = 0; i < fw.controls.size(); ++i) index_[fw.controls[i].Ref()] = i;
    children_.resize(fw.controls.size());
    for (size_t i = 0; i < fw.controls.size(); ++i) {
      const controls::CatalogControl& k = fw.controls[i];
      lineage_[k.Ref()] = Lineage(*context.catalog, k.Ref());
      if (!k.parent.empty()) children_[index_.at(k.framework + ":" + k.parent)].push_back(i);
    }
  }

  v1::ComplianceReport Build(const std::vector<HostEvidence>& all_hosts) {
    report_.set_generated_at_us(context_.now_us);
    report_.set_framework(framework_);
    report_.set_catalog_version(context_.catalog->version());
    report_.set_mapping_version(mapping_.version());
    SelectHosts(all_hosts);
    for (const auto& [check, refs] : mapping_.checks()) {
      for (const std::string& r : refs) NoteCheck(r, check);
    }
    cells_.assign(hosts_.size(), std::vector<HostCell>(fw_.controls.size()));
    for (size_t h = 0; h < hosts_.size(); ++h) AddHost(*hosts_[h], &cells_[h]);
    std::vector<Cell> row_status(fw_.controls.size(), Cell::kNoEvidence);
    for (size_t i : Rows(&row_status)) AddRow(i, row_status[i]);
    AddAlerts();
    AddWarnings();
    return std::move(report_);
  }

 private:
  // The hosts of the request's agent prefix and service, by hostname then agent id.
  void SelectHosts(const std::vector<HostEvidence>& all_hosts) {
    for (const HostEvidence& h : all_hosts) {
      if (h.agent_id.rfind(request_.agent_id(), 0) != 0) continue;
      auto service = h.labels.find("service");
      if (!request_.service().empty() &&
          (service == h.labels.end() || service->second != request_.service())) {
        continue;
      }
      hosts_.push_back(&h);
    }
    std::sort(hosts_.begin(), hosts_.end(), [](const HostEvidence* a, const HostEvidence* b) {
      return std::tie(a->hostname, a->agent_id) < std::tie(b->hostname, b->agent_id);
    });
  }

  // `check` reports on `ref`: it shows on that row and the rows above it.
  void NoteCheck(const std::string& ref, const std::string& check) {
    auto it = lineage_.find(ref);
    if (it == lineage_.end()) return;  // another framework, or not in the catalog
    for (const std::string& up : it->second) row_checks_[up].insert(check);
  }

  // The store's mapping decides for the checks it names; records of checks
  // it lacks map by the refs they were signed with.
  std::vector<std::string> RefsOf(const std::string& check, const LatestVerdict& v) const {
    return mapping_.checks().contains(check) ? mapping_.RefsFor(check) : v.signed_controls;
  }

  // The statement of the host's service, if it states this framework; a
  // host without one is counted for the warnings.
  const controls::Soa* StatementFor(const HostEvidence& host, v1::ComplianceHost* out) {
    auto service = host.labels.find("service");
    const std::string service_name = service == host.labels.end() ? "" : service->second;
    auto st = statements_.find(service_name);
    const controls::Soa* soa = st == statements_.end() ? nullptr : st->second;
    // A statement declares one framework's controls; it says nothing of another's.
    if (soa != nullptr && soa->framework() != framework_) {
      other_framework_.insert(soa);
      soa = nullptr;
    }
    if (soa != nullptr) {
      out->set_statement(soa->source());
    } else if (st == statements_.end()) {
      ++without_statement_[service_name];
    }
    return soa;
  }

  void AddHost(const HostEvidence& host, std::vector<HostCell>* row) {
    v1::ComplianceHost* out = report_.add_hosts();
    out->set_agent_id(host.agent_id);
    out->set_hostname(host.hostname);
    if (auto s = host.labels.find("service"); s != host.labels.end()) out->set_service(s->second);
    if (auto g = host.labels.find("group"); g != host.labels.end()) out->set_group(g->second);
    if (auto e = host.labels.find("environment"); e != host.labels.end())
      out->set_environment(e->second);
    out->set_last_collected_at_us(host.last_collected_at_us);
    out->set_state(host.state);
    out->set_heartbeat_seconds(HeartbeatSeconds(host));
    out->set_silent(Silent(host, context_));
    if (out->silent()) ++silent_;
    if (host.state != kAgentActive) ++not_active_[host.state];
    const controls::Soa* soa = StatementFor(host, out);
    const auto direct = DirectChecks(host, !out->silent() && host.state == kAgentActive);
    // Children come after their parents in the catalog: fill from the end.
    for (size_t i = fw_.controls.size(); i-- > 0;) {
      auto d = direct.find(fw_.controls[i].Ref());
      FillCell(host, soa, i, d == direct.end() ? nullptr : &d->second, row);
    }
  }

  // The checks this host reports on each control of the framework, with
  // their cell statuses.
  std::map<std::string, std::vector<std::pair<std::string, Cell>>> DirectChecks(
      const HostEvidence& host, bool may_pass) {
    std::map<std::string, std::vector<std::pair<std::string, Cell>>> direct;
    for (const auto& [check, verdict] : host.checks) {
      std::optional<Cell> c = OfVerdict(verdict, context_, may_pass);
      if (!c) continue;
      for (const std::string& r : RefsOf(check, verdict)) {
        if (!index_.contains(r)) continue;
        direct[r].emplace_back(check, *c);
        // Mapped checks are on their rows already; these map by signed refs.
        if (!mapping_.checks().contains(check)) NoteCheck(r, check);
      }
    }
    return direct;
  }

  // Control i's cell on one host: its own checks and its children's, then
  // what the statement says of it.
  void FillCell(const HostEvidence& host, const controls::Soa* soa, size_t i,
                const std::vector<std::pair<std::string, Cell>>* direct,
                std::vector<HostCell>* row) {
    const std::string ref = fw_.controls[i].Ref();
    HostCell& cell = (*row)[i];
    for (const auto& [check, c] : direct ? *direct : std::vector<std::pair<std::string, Cell>>()) {
      cell.evidence = Worse(cell.evidence, c);
      if (Failing(c)) cell.failing.push_back(check);
    }
    cell.counted = cell.evidence;
    for (size_t child : children_[i]) {
      const HostCell& cc = (*row)[child];
      cell.evidence = Worse(cell.evidence, cc.evidence);
      if (Failing(cc.evidence)) {
        cell.failing.insert(cell.failing.end(), cc.failing.begin(), cc.failing.end());
      }
      if (cc.rollup) cell.counted = Worse(cell.counted, *cc.rollup);
    }
    std::sort(cell.failing.begin(), cell.failing.end());
    cell.failing.erase(std::unique(cell.failing.begin(), cell.failing.end()), cell.failing.end());
    // What the parent sees: a declaration or exception of this very control
    // takes it out of the roll-up, or (expired) fails it.
    const Applied own = Apply(soa, lineage_[ref], host, today_, /*own_only=*/true);
    cell.rollup = !own.status                 ? std::optional<Cell>(cell.counted)
                  : own.status == Cell::kFail ? std::optional<Cell>(Cell::kFail)
                                              : std::nullopt;
    const Applied applied = Apply(soa, lineage_[ref], host, today_, /*own_only=*/false);
    cell.status = applied.status.value_or(cell.counted);
    cell.note = applied.note;
    if (applied.expired != nullptr) expired_on_[applied.expired].push_back(host.agent_id);
  }

  // The rows the request selects, in its order, with each row's status over
  // the fleet in `row_status`.
  std::vector<size_t> Rows(std::vector<Cell>* row_status) const {
    std::vector<size_t> rows;
    for (const controls::CatalogControl* k :
         controls::SelectControls(fw_, request_.importance(), request_.threat())) {
      const size_t i = index_.at(k->Ref());
      Cell worst = Cell::kNoEvidence;
      int worst_rank = hosts_.empty() ? FleetRank(Cell::kNoEvidence) : 99;
      for (const auto& host_cells : cells_) {
        if (FleetRank(host_cells[i].status) < worst_rank) {
          worst = host_cells[i].status;
          worst_rank = FleetRank(worst);
        }
      }
      (*row_status)[i] = worst;
      if (!request_.status().empty() && Name(worst) != request_.status()) continue;
      rows.push_back(i);
    }
    if (sort_ == "importance") {
      std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) {
        return controls::ImportanceRank(fw_.controls[a].importance) <
               controls::ImportanceRank(fw_.controls[b].importance);
      });
    } else if (sort_ == "status") {
      std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) {
        return FleetRank((*row_status)[a]) < FleetRank((*row_status)[b]);
      });
    }
    return rows;
  }

  void AddRow(size_t i, Cell status) {
    const controls::CatalogControl& k = fw_.controls[i];
    v1::ComplianceControl* c = report_.add_controls();
    c->set_ref(k.Ref());
    c->set_oscal_id(controls::OscalId(k.Ref()));
    c->set_kind(k.kind);
    c->set_parent(k.parent.empty() ? "" : k.framework + ":" + k.parent);
    c->set_title_en(k.title_en);
    c->set_title_ja(k.title_ja);
    c->set_theme(k.theme);
    c->set_importance(k.importance);
    for (const std::string& t : k.threats) c->add_threats(t);
    c->set_provisional(k.provisional || fw_.provisional);
    for (const std::string& check : row_checks_[k.Ref()]) c->add_checks(check);
    c->set_status(std::string(Name(status)));
    for (size_t h = 0; h < hosts_.size(); ++h) {
      const HostCell& cell = cells_[h][i];
      v1::ComplianceCell* out = c->add_cells();
      out->set_agent_id(hosts_[h]->agent_id);
      out->set_status(std::string(Name(cell.status)));
      out->set_evidence_status(std::string(Name(cell.evidence)));
      for (const std::string& f : cell.failing) out->add_failing_checks(f);
      out->set_note(cell.note);
    }
  }

  // Every expired exception of the statements in view raises an alert, with
  // the hosts it made fail.
  void AddAlerts() {
    std::set<const controls::Soa*> in_view;
    for (const HostEvidence* h : hosts_) {
      auto service = h->labels.find("service");
      if (service == h->labels.end()) continue;
      if (auto st = statements_.find(service->second); st != statements_.end())
        in_view.insert(st->second);
    }
    if (auto st = statements_.find(request_.service());
        !request_.service().empty() && st != statements_.end()) {
      in_view.insert(st->second);
    }
    for (const controls::Soa* soa : in_view) {
      for (const controls::SoaException& x : soa->exceptions()) {
        if (!x.ExpiredBefore(today_)) continue;
        v1::ComplianceAlert* alert = report_.add_alerts();
        alert->set_kind("exception-expired");
        alert->set_control(x.control);
        std::vector<std::string> agents = expired_on_[&x];
        std::sort(agents.begin(), agents.end());
        agents.erase(std::unique(agents.begin(), agents.end()), agents.end());
        for (const std::string& a : agents) alert->add_agent_ids(a);
        alert->set_detail(soa->ExpiredNotice(x));
      }
    }
  }

  void AddWarnings() {
    if (silent_ > 0) {
      report_.add_warnings(std::to_string(silent_) +
                           (silent_ == 1 ? " silent host" : " silent hosts") +
                           ": nothing recorded within twice the heartbeat interval plus "
                           "stale_grace, so none of its passes counts (stale)");
    }
    for (const auto& [state, n] : not_active_) {
      report_.add_warnings(std::to_string(n) + " " + state + (n == 1 ? " host" : " hosts") +
                           ": its evidence stands, none of its passes counts (stale)");
    }
    for (const controls::Soa* soa : other_framework_) {
      report_.add_warnings(soa->source() + " states " + soa->framework() +
                           " controls: not applied to this " + framework_ + " report");
    }
    for (const auto& [service, n] : without_statement_) {
      report_.add_warnings((service.empty()
                                ? std::string("no service label")
                                : "no statement of applicability for service '" + service + "'") +
                           " on " + std::to_string(n) + (n == 1 ? " host" : " hosts") +
                           ": every control counts as implemented there");
    }
  }

  const v1::ComplianceRequest& request_;
  const ComplianceContext& context_;
  const controls::Mapping& mapping_;
  const controls::CatalogFramework& fw_;
  const std::string framework_;
  const std::string sort_;
  const std::string today_;
  std::map<std::string, const controls::Soa*> statements_;  // by service
  std::map<std::string, size_t> index_;                     // control ref → index in fw_
  std::vector<std::vector<size_t>> children_;               // by index
  // Per control ref of the framework: the refs from it up through its parents.
  std::map<std::string, std::vector<std::string>> lineage_;
  std::map<std::string, std::set<std::string>> row_checks_;  // ref → checks at or below it
  std::vector<const HostEvidence*> hosts_;
  std::vector<std::vector<HostCell>> cells_;  // cells_[host][control index]
  std::map<const controls::SoaException*, std::vector<std::string>> expired_on_;
  std::map<std::string, int> without_statement_;  // service label → hosts
  int silent_ = 0;
  std::map<std::string, int> not_active_;  // agent state → hosts
  std::set<const controls::Soa*> other_framework_;
  v1::ComplianceReport report_;
};

}  // namespace

Result<v1::ComplianceReport> BuildCompliance(const v1::ComplianceRequest& request,
                                             const ComplianceContext& context,
                                             const std::vector<HostEvidence>& all_hosts) {
  const controls::Catalog& catalog = *context.catalog;
  const std::string framework = request.framework().empty() ? "ismap" : request.framework();
  const controls::CatalogFramework* fw = catalog.Framework(framework);
  if (fw == nullptr) {
    std::string names;
    for (const auto& f : catalog.frameworks()) names += (names.empty() ? "" : ", ") + f.name;
    return Status::InvalidArgument("framework: no '" + framework + "' in the store's catalog (" +
                                   names + ")");
  }
  const std::string sort = request.sort().empty() ? "control" : request.sort();
  if (sort != "control" && sort != "importance" && sort != "status") {
    return Status::InvalidArgument("sort: '" + sort + "' is not control, importance or status");
  }
  if (!request.status().empty() &&
      std::find(kCellNames.begin(), kCellNames.end(), request.status()) == kCellNames.end()) {
    std::string names;
    for (std::string_view n : kCellNames) names += (names.empty() ? "" : ", ") + std::string(n);
    return Status::InvalidArgument("status: '" + request.status() + "' is not one of " + names);
  }
  return MatrixBuilder(request, context, *fw, sort).Build(all_hosts);
}

}  // namespace shoko::store
