// Runs a test's body on a small stack (256 KB, with a guard page below it),
// so that a walk which recursed once per node of a long chain would overflow
// it and crash the test: the bounded walks are proved bounded, not assumed.
//
// The body runs in the test's own thread on a stack of its own
// (makecontext/swapcontext), not on a new thread: the arm64 unit tests run
// under qemu-user, where a dynamically linked program's pthread_create
// never returns (Debian 12's qemu 7.2 with glibc 2.36).
#pragma once

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstddef>

namespace tend::testing {

inline constexpr std::size_t kSmallStack = 256 * 1024;

template <typename Body>
void on_small_stack(Body body) {
    const std::size_t guard = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    void* memory = ::mmap(nullptr, guard + kSmallStack, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    ASSERT_NE(memory, MAP_FAILED);
    ASSERT_EQ(::mprotect(memory, guard, PROT_NONE), 0);  // an overflow faults instead of writing past
    static Body* current;
    static ucontext_t caller;
    static ucontext_t callee;
    current = &body;
    ASSERT_EQ(::getcontext(&callee), 0);
    callee.uc_stack.ss_sp = static_cast<char*>(memory) + guard;
    callee.uc_stack.ss_size = kSmallStack;
    callee.uc_link = &caller;  // the body's return comes back here
    ::makecontext(&callee, +[] { (*current)(); }, 0);
    ASSERT_EQ(::swapcontext(&caller, &callee), 0);
    ::munmap(memory, guard + kSmallStack);
}

}  // namespace tend::testing
