// The names this binary answers to, and the one table that maps them.
#include "tend/s6/applet_names.hpp"

#include <array>

namespace tend::s6 {
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

}  // namespace tend::s6
