// argv[0] dispatch and the exec every applet ends with.
#include "tend/applets/applets.hpp"

#include "tend/applets/s6_log.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

extern char** environ;

namespace tend::applets {

int run_applet(Applet applet, int argc, char** argv) {
    switch (applet) {
        case Applet::WithContenv: return with_contenv_main(argc, argv);
        case Applet::PrintContenv: return printcontenv_main(argc, argv);
        case Applet::SetUidGid: return setuidgid_main(argc, argv);
        case Applet::EnvUidGid: return envuidgid_main(argc, argv);
        case Applet::ApplyUidGid: return applyuidgid_main(argc, argv);
        case Applet::Halt:
        case Applet::SvscanCtl: return halt_main(applet, argc, argv);
        case Applet::Svc:
        case Applet::Svwait:
        case Applet::Svok:
        case Applet::S6Rc: return service_control_main(applet, argc, argv);
        case Applet::S6Log: return s6log::main(argc, argv);
        case Applet::Svstat: return svstat_main(argc, argv);
        case Applet::NotifyOnCheck: return notifyoncheck_main(argc, argv);
        case Applet::LogutilService: return logutil_service_main(argc, argv);
        case Applet::LogutilNewfifo: return logutil_newfifo_main(argc, argv);
        case Applet::Cd: return cd_main(argc, argv);
        case Applet::Supercronic: break;  // main() runs it (core::run_supercronic)
    }
    return 100;
}

int exec_program(std::string_view applet_name, char** argv, char** envp) {
    if (envp != nullptr) environ = envp;  // execvp searches the PATH the program will see
    ::execvp(argv[0], argv);
    int error = errno;
    std::fprintf(stderr, "%.*s: fatal: unable to exec %s: %s\n", static_cast<int>(applet_name.size()),
                 applet_name.data(), argv[0], std::strerror(error));
    return error == ENOENT ? 127 : 126;
}

}  // namespace tend::applets
