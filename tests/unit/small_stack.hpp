// Runs a test's body on a thread with a small stack (256 KB), so that a
// walk which recursed once per node of a long chain would overflow it and
// crash the test: the bounded walks are proved bounded, not assumed.
#pragma once

#include <gtest/gtest.h>
#include <pthread.h>

#include <cstddef>

namespace tend::testing {

inline constexpr std::size_t kSmallStack = 256 * 1024;

template <typename Body>
void on_small_stack(Body body) {
    pthread_attr_t attributes;
    ASSERT_EQ(::pthread_attr_init(&attributes), 0);
    ASSERT_EQ(::pthread_attr_setstacksize(&attributes, kSmallStack), 0);
    pthread_t thread;
    auto run = [](void* argument) -> void* {
        (*static_cast<Body*>(argument))();
        return nullptr;
    };
    ASSERT_EQ(::pthread_create(&thread, &attributes, run, &body), 0);
    ::pthread_join(thread, nullptr);
    ::pthread_attr_destroy(&attributes);
}

}  // namespace tend::testing
