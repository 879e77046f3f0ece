// Signals as events.
//
// The first thing main does is block every signal, so none can be lost before
// the signalfd exists; from then on signals are read from the signalfd in the
// event loop. Children restore an empty mask and default dispositions between
// fork and exec (see process/spawn).
#pragma once

#include <signal.h>
#include <sys/signalfd.h>

#include <expected>
#include <optional>

#include "tend/sys/fd.hpp"

namespace tend::sys {

// Blocks every blockable signal in the calling thread.
void block_all_signals();

// A non-blocking, close-on-exec signalfd for every signal.
std::expected<UniqueFd, int> open_signalfd();

// Reads one pending signal, or nullopt when none is pending.
std::optional<signalfd_siginfo> read_signal(int signal_fd);

}  // namespace tend::sys
