// s6-overlay v3 trees: /etc/s6-overlay/s6-rc.d, read into what tend runs.
//
// What starts is the `user` bundle, then `user2`, from
// /etc/s6-overlay/user-bundles.d/<bundle>/contents.d (s6-overlay >= 3.2.3.2)
// or else s6-rc.d/<bundle>/contents.d; bundles nest, and `contents` /
// `dependencies` files work like their `.d` dirs. Everything those bundles
// name is started together with its dependencies, as s6-rc does, in
// s6-overlay's order: S6_STAGE2_HOOK, cont-init.d (legacy-cont-init), the
// `user` bundle, services.d (legacy-services), `user2`, then the CMD:
//  - a `longrun` becomes a supervised service (its dir is a tend service dir:
//    run, finish, notification-fd, timeout-kill, down-signal, down); its
//    dependencies on other longruns become `depends`; one only `user2`
//    wants, or one that depends on legacy-services, also waits for every
//    services.d service;
//  - a `oneshot` runs its `up` once, in dependency order, after cont-init.d
//    and before any service starts (so a longrun's dependency on it is met by
//    then); one that waits for services (it depends on a longrun or on
//    legacy-services, or only user2 wants it) runs after they have started
//    and are ready, before the CMD. Its `down` runs at shutdown, in reverse
//    order, before cont-finish.d.
// s6-overlay's own names are dependency and bundle targets: `base`,
// `fix-attrs` and `legacy-cont-init` are met once cont-init.d has run,
// `legacy-services` once services.d has started, `user`/`user2` are the
// bundles. Pipelines (`producer-for`, `consumer-for`, `pipeline-name`) link
// a producer to its consumer (S6rcLongrun::producer_for); the producer
// depends on the consumer and `pipeline-name` is a bundle of the pipeline.
// A longrun that depends on a oneshot that must wait for services
// cannot be ordered and is refused, naming both. Cycles and missing names
// refuse what they touch.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tend::s6 {

struct S6rcLongrun {
    std::string name;
    std::filesystem::path dir;
    std::vector<std::string> depends;  // longrun names
    // Starts after every services.d service: only user2 wants it, or it
    // depends on legacy-services.
    bool after_legacy_services = false;
    // s6-rc pipeline: the longrun whose stdin is this one's stdout (it is
    // also in `depends`), empty when none.
    std::string producer_for = {};
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
    // A late oneshot (S6rcPlan::late_oneshots) waits for these longruns to be
    // ready, and for every services.d service when after_legacy_services.
    std::vector<std::string> after_services;
    bool after_legacy_services = false;
};

struct S6rcPlan {
    bool present = false;                 // s6-rc.d exists
    std::vector<S6rcOneshot> oneshots;    // in the order their `up` runs, after cont-init.d
    // Oneshots that wait for services (they depend on a longrun or on
    // legacy-services, or only user2 wants them): run in this order once the
    // services have started, before the CMD.
    std::vector<S6rcOneshot> late_oneshots;
    std::vector<S6rcLongrun> longruns;    // by name
    std::vector<std::string> warnings;    // full messages naming the file
    std::vector<std::string> errors;      // refused definitions, full messages
};

// overlay_dir: /etc/s6-overlay. Never throws.
S6rcPlan load_s6rc(const std::filesystem::path& overlay_dir = "/etc/s6-overlay");

}  // namespace tend::s6
