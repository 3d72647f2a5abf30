#include "store/ledger.h"

namespace shoko::store {

const AgentKey* AgentEntry::Key(const std::string& key_id) const {
  for (const AgentKey& k : keys) {
    if (k.key_id == key_id) return &k;
  }
  return nullptr;
}

}  // namespace shoko::store
