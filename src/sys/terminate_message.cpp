// tend's own std::terminate message, linked into the release binary only (see
// CMakeLists.txt, next to static_nss_stubs.cpp).
//
// Why: libstdc++'s default handler, __gnu_cxx::__verbose_terminate_handler,
// demangles the type name of the uncaught exception, and the demangler is a
// large part of the static binary (bench/README.md, binary size). Defining the handler here keeps that
// archive member out of the link. tend never lets an exception escape (PID 1
// must not die), so this only words the message of a bug: the exception's
// what() when it is a std::exception, then abort() as before.
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <exception>

namespace {

void write_text(const char* text) {
    std::size_t left = std::strlen(text);
    while (left > 0) {
        ssize_t written = ::write(STDERR_FILENO, text, left);
        if (written <= 0) return;
        text += written;
        left -= static_cast<std::size_t>(written);
    }
}

}  // namespace

namespace __gnu_cxx {

void __verbose_terminate_handler() {
    static bool entered = false;  // a throwing what() must not loop back here
    if (!entered) {
        entered = true;
        if (std::exception_ptr current = std::current_exception()) {
            write_text("tend: fatal: terminate called after an uncaught exception");
            try {
                std::rethrow_exception(current);
            } catch (const std::exception& error) {
                write_text(": ");
                write_text(error.what());
            } catch (...) {
            }
            write_text("\n");
        } else {
            write_text("tend: fatal: terminate called without an active exception\n");
        }
    }
    std::abort();
}

}  // namespace __gnu_cxx
