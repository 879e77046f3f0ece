// s6-overlay v3 trees: /etc/s6-overlay/s6-rc.d, read into what tend runs.
//
// What starts is the `user` bundle (then `user2`), from
// /etc/s6-overlay/user-bundles.d/<bundle>/contents.d (s6-overlay >= 3.2.3.2)
// or else s6-rc.d/<bundle>/contents.d; bundles nest, and `contents` /
// `dependencies` files work like their `.d` dirs. Everything those bundles
// name is started together with its dependencies, as s6-rc does:
//  - a `longrun` becomes a supervised service (its dir is a tend service dir:
//    run, finish, notification-fd, timeout-kill, down-signal, down); its
//    dependencies on other longruns become `depends`;
//  - a `oneshot` runs its `up` once, in dependency order, after cont-init.d
//    and before any service starts (so a longrun's dependency on a oneshot is
//    met by then); its `down` runs at shutdown, in reverse order, before
//    cont-finish.d.
// `base` (s6-overlay's fix-attrs and legacy cont-init) is met once cont-init
// has run. A oneshot that depends on a longrun cannot be ordered this way and
// is refused, naming both (README: tend runs every oneshot before any
// service, so "after this longrun" has no place in that order). Cycles and missing names refuse what they touch.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tend::config {

struct S6rcLongrun {
    std::string name;
    std::filesystem::path dir;
    std::vector<std::string> depends;  // longrun names
};

struct S6rcOneshot {
    std::string name;
    std::filesystem::path up;    // dir/up (an execline command line)
    std::filesystem::path down;  // dir/down, empty when there is none
    // timeout-up / timeout-down (s6-rc: milliseconds, 0 or absent = no
    // limit; tend also takes its duration forms): the script is killed with
    // SIGKILL after this long, which counts as a failure.
    std::optional<std::chrono::milliseconds> timeout_up;
    std::optional<std::chrono::milliseconds> timeout_down;
};

struct S6rcPlan {
    bool present = false;                 // s6-rc.d exists
    std::vector<S6rcOneshot> oneshots;    // in the order their `up` runs
    std::vector<S6rcLongrun> longruns;    // by name
    std::vector<std::string> warnings;    // full messages naming the file
    std::vector<std::string> errors;      // refused definitions, full messages
};

// overlay_dir: /etc/s6-overlay. Never throws.
S6rcPlan load_s6rc(const std::filesystem::path& overlay_dir = "/etc/s6-overlay");

}  // namespace tend::config
