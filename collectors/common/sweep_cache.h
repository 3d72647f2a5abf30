// What the collectors of one sweep share: host files read and parsed once
// per sweep (passwd, group, login.defs, sshd_config, sudoers…), not once by
// each collector that needs them. Each entry is made by its first reader and
// lives as long as the sweep's CollectContext, so the next sweep sees the
// host as it is then.
#ifndef SHOKO_COLLECTORS_COMMON_SWEEP_CACHE_H_
#define SHOKO_COLLECTORS_COMMON_SWEEP_CACHE_H_

#include <cstdlib>
#include <map>
#include <memory>
#include <string>

namespace shoko::collectors {

class SweepCache {
 public:
  // The entry `key` holds, made by `make()` (returning a T) on first use.
  // A key names one type: the readers that share an entry agree on it
  // (collectors/access/host_files.h spells the access family's).
  template <typename T, typename Make>
  const T& Get(const std::string& key, Make make) {
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      it = entries_.emplace(key, std::make_unique<Entry<T>>(make())).first;
    }
    auto* entry = dynamic_cast<Entry<T>*>(it->second.get());
    if (entry == nullptr) std::abort();  // two types under one key: a programming error
    return entry->value;
  }

 private:
  struct AnyEntry {
    virtual ~AnyEntry() = default;
  };
  template <typename T>
  struct Entry final : AnyEntry {
    explicit Entry(T v) : value(std::move(v)) {}
    T value;
  };
  std::map<std::string, std::unique_ptr<AnyEntry>> entries_;
};

}  // namespace shoko::collectors

#endif  // SHOKO_COLLECTORS_COMMON_SWEEP_CACHE_H_
