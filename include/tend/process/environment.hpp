// Building a service's environment.
//
// Layers, later wins (docs/service-directory.md):
//  1. the container env (keep-env) or the listed subset (import-env); keep-env
//     wins when both exist;
//  2. PATH (only if layer 1 set none); HOME, USER, LOGNAME of the target user
//     whenever the service has a `user` file; TEND_SERVICE always;
//  3. env/, where an entry without value unsets.
// With neither keep-env nor a `user` file, HOME/USER/LOGNAME still come from
// tend's own user (a cleared environment still holds them); values that
// import-env brought in are kept, since they already belong to that user.
// With keep-env and no `user` file the container's values stay as they are.
// A target without passwd name gets no USER/LOGNAME (removed if layer 1 had
// them). An empty default_path sets no PATH. Everything not named by these
// rules stays out: container secrets never reach a cleared service.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tend/config/service_config.hpp"
#include "tend/process/credentials.hpp"

namespace tend::process {

// An ordered environment: NAME=value strings, unique names, sorted by name.
// Like a standard container, members may throw std::bad_alloc: on the event
// path the loop's guard turns that into a graceful shutdown, before any
// half-built environment reaches a service.
class Environment {
public:
    Environment() = default;
    // From "NAME=value" strings (e.g. environ). Entries without '=' or with an
    // empty name are ignored; of duplicate names the first wins (as getenv).
    static Environment from_strings(const std::vector<std::string>& entries);
    // Borrows the strings rather than copy them (a container's environment
    // is read at every start-up, and in a Kubernetes pod it has hundreds of
    // entries): they must stay unchanged while any copy of the Environment
    // lives. tend passes its own environ, which it never modifies (only the
    // s6-overlay applets, which are not tend's init, call setenv).
    static Environment from_environ(char** envp);

    // Names that are empty or contain '=' or NUL are ignored: they could not
    // be read back from "NAME=value".
    void set(std::string_view name, std::string_view value);
    void unset(std::string_view name);
    std::optional<std::string> get(std::string_view name) const;
    bool contains(std::string_view name) const;
    // "NAME=value" strings, sorted by name.
    std::vector<std::string> to_strings() const;
    std::size_t size() const { return vars_.size(); }

private:
    // One variable as its "NAME=value" text: borrowed from environ, or owned.
    struct Variable {
        const char* borrowed = nullptr;  // null: the text is `owned`
        std::string owned;
        std::size_t size = 0;       // of the text
        std::size_t name_size = 0;  // the text's first '=' is at name_size
        std::string_view text() const { return borrowed != nullptr ? std::string_view(borrowed, size) : owned; }
        std::string_view name() const { return text().substr(0, name_size); }
        std::string_view value() const { return text().substr(name_size + 1); }
    };
    struct Candidate;
    static void sort_unique(std::vector<Candidate>& candidates);

    std::vector<Variable> vars_;  // sorted by name, names unique
};

struct EnvironmentInputs {
    const Environment* container = nullptr;  // snapshot taken at setup
    std::string default_path;                // --default-path
    // Target credentials (resolved user or tend's own). Null with a `user`
    // file removes HOME/USER/LOGNAME rather than keep the container's.
    const Credentials* credentials = nullptr;
};

// Never throws.
Environment build_service_environment(const config::ServiceConfig& service,
                                      const EnvironmentInputs& inputs);

}  // namespace tend::process
