// argv[0] dispatch and the exec every applet ends with.
#include "tend/compat/applets.hpp"

#include "tend/compat/s6_log.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

extern char** environ;

namespace tend::compat {
namespace {

struct Entry {
    std::string_view name;
    Applet applet;
};

constexpr std::array kApplets{
    Entry{"with-contenv", Applet::WithContenv}, Entry{"printcontenv", Applet::PrintContenv},
    Entry{"s6-setuidgid", Applet::SetUidGid},   Entry{"s6-envuidgid", Applet::EnvUidGid},
    Entry{"s6-applyuidgid", Applet::ApplyUidGid}, Entry{"halt", Applet::Halt},
    Entry{"s6-svscanctl", Applet::SvscanCtl},   Entry{"s6-svc", Applet::Svc},
    Entry{"s6-svwait", Applet::Svwait},         Entry{"s6-svok", Applet::Svok},
    Entry{"s6-rc", Applet::S6Rc},               Entry{"s6-log", Applet::S6Log},
    Entry{"s6-svstat", Applet::Svstat},
    Entry{"s6-notifyoncheck", Applet::NotifyOnCheck}, Entry{"logutil-service", Applet::LogutilService},
    Entry{"logutil-newfifo", Applet::LogutilNewfifo}, Entry{"cd", Applet::Cd},
    Entry{"supercronic", Applet::Supercronic},
};

constexpr std::array<std::string_view, kApplets.size()> kNames = [] {
    std::array<std::string_view, kApplets.size()> names{};
    for (std::size_t i = 0; i < kApplets.size(); ++i) names[i] = kApplets[i].name;
    return names;
}();

}  // namespace

std::optional<Applet> applet_for(std::string_view argv0) {
    auto slash = argv0.rfind('/');
    std::string_view name = slash == std::string_view::npos ? argv0 : argv0.substr(slash + 1);
    for (const Entry& entry : kApplets)
        if (entry.name == name) return entry.applet;
    return std::nullopt;
}

std::span<const std::string_view> applet_names() { return kNames; }

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

}  // namespace tend::compat
