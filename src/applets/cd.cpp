// execline's `cd DIR PROG...`: s6-overlay images call it as a program in the
// middle of a command line (`s6-notifyoncheck ... cd /app/x s6-setuidgid abc
// app`, linuxserver.io's app images), where a shell's builtin cannot be. With
// s6-overlay it is /command/cd; `tend compat install` makes it tend's.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "tend/applets/applets.hpp"

namespace tend::applets {

int cd_main(int argc, char** argv) {
    if (argc < 3) {
        std::fputs("cd: usage: cd DIR PROG...\n", stderr);
        return 100;
    }
    if (::chdir(argv[1]) != 0) {
        std::fprintf(stderr, "cd: fatal: unable to chdir to %s: %s\n", argv[1], std::strerror(errno));
        return 111;
    }
    return exec_program("cd", argv + 2, nullptr);
}

}  // namespace tend::applets
