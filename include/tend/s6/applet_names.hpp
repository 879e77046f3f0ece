// The names this binary answers to as argv[0]: s6-overlay's commands (and
// Supercronic's). The applets module (applets/) runs them; they are named here,
// in s6/, because a script plan needs them too: an execline command word that
// names one runs tend's own applet (script_plan.hpp), never a program of the
// same name on PATH.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace tend::s6 {

enum class Applet {
    WithContenv,
    PrintContenv,
    SetUidGid,
    EnvUidGid,
    ApplyUidGid,
    Halt,
    SvscanCtl,
    Svc,
    Svwait,
    Svok,
    S6Rc,
    S6Log,
    Svstat,
    NotifyOnCheck,
    LogutilService,
    LogutilNewfifo,
    Cd,
    Supercronic,  // run by applets::run_supercronic (it runs tend itself), not by run_applet
};

// By the basename of argv[0]. Pure.
std::optional<Applet> applet_for(std::string_view argv0);

// Every applet name, for `tend compat install`.
std::span<const std::string_view> applet_names();

}  // namespace tend::s6
