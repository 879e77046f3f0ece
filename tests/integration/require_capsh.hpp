// TEND_REQUIRE_CAPSH(): for tests that drop capabilities with capsh. capsh
// comes with the CI's install list (libcap2-bin): as root (CI) its absence
// fails the test, like TEND_REQUIRE_NAMESPACES does for unshare; elsewhere it
// skips it. (Call as: TEND_REQUIRE_CAPSH(); at the top of the test.)
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>

#include "proc_and_log_readers.hpp"

#define TEND_REQUIRE_CAPSH()                                                                           \
    do {                                                                                               \
        if (::tend::itest::readers::find_program("capsh").empty()) {                                   \
            if (::geteuid() == 0) GTEST_FAIL() << "capsh (libcap2-bin) is not installed";             \
            GTEST_SKIP() << "capsh (libcap2-bin) is not installed";                                    \
        }                                                                                              \
    } while (0)
