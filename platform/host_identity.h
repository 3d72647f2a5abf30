// Who a host says it is, read through an Env so that --root works.
#ifndef SHOKO_PLATFORM_HOST_IDENTITY_H_
#define SHOKO_PLATFORM_HOST_IDENTITY_H_

#include <string>
#include <vector>

#include "platform/env.h"

namespace shoko::platform {

struct HostIdentity {
  std::string hostname;              // /proc/sys/kernel/hostname, else /etc/hostname
  std::string machine_id;            // /etc/machine-id
  std::string os_id;                 // os-release ID
  std::vector<std::string> os_like;  // os-release ID_LIKE, in its order
  std::string os_version;            // os-release VERSION_ID
  std::string kernel;                // /proc/sys/kernel/osrelease
};

// Reads what is there; a missing file leaves its field empty rather than failing,
// since a container or image may lack any of them.
HostIdentity ReadHostIdentity(const Env& env);

// The distribution ids a baseline value may be keyed by, most specific
// first: ID, then each of ID_LIKE ("rocky", "rhel", "centos", "fedora").
std::vector<std::string> DistributionIds(const HostIdentity& host);

// The value of KEY in os-release(5) text, unquoted; empty when absent.
std::string OsReleaseValue(std::string_view text, std::string_view key);

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_HOST_IDENTITY_H_
