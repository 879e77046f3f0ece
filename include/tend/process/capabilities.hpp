// Capability facts about tend itself, read in the parent (capget(2); names from libcap-ng).
//
// The child applies capability plans with raw prctl/capset calls (see
// spawn.cpp), because between fork and exec only async-signal-safe calls are
// allowed; deciding what is possible happens here, before fork.
#pragma once

#include <cstdint>
#include <string>

namespace tend::process {

// tend's permitted and effective sets, bit N = capability N.
std::uint64_t own_permitted_capabilities();
std::uint64_t own_effective_capabilities();
// tend's bounding set (PR_CAPBSET_READ for each capability the kernel knows).
std::uint64_t own_bounding_set();
constexpr std::uint64_t capability_bit(unsigned cap) { return std::uint64_t{1} << cap; }
// "CAP_NET_BIND_SERVICE, CAP_SYS_ADMIN" for a mask.
std::string capability_names(std::uint64_t mask);

}  // namespace tend::process
