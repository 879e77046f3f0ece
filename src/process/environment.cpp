// The service environment is built from an allow-list, never by filtering
// the container's: whatever the rules below do not name stays out, so a
// container secret cannot reach a cleared service by accident.
#include "tend/process/environment.hpp"

#include <algorithm>
#include <functional>
#include <new>

namespace tend::process {
namespace {

// An environment name must be non-empty and free of '=', otherwise the
// "NAME=value" string would be read back as a different variable.
bool valid_name(std::string_view name) {
    return !name.empty() && name.find('=') == std::string_view::npos &&
           name.find('\0') == std::string_view::npos;
}

// Where `name` is or would be inserted in the sorted list.
template <typename Vars>
auto slot_for(Vars& vars, std::string_view name) {
    return std::ranges::lower_bound(vars, name, std::less<>{},
                                    [](const auto& var) -> std::string_view { return var.first; });
}

using Vars = std::vector<std::pair<std::string, std::string>>;
using Entry = std::pair<std::string_view, std::string_view>;  // name, value

// "NAME=value"; entries without '=' or with an empty name are not variables.
void add_entry(std::vector<Entry>& entries, std::string_view entry) {
    std::size_t equals = entry.find('=');
    if (equals == std::string_view::npos || equals == 0) {
        return;
    }
    std::string_view name = entry.substr(0, equals);
    if (valid_name(name)) {
        entries.emplace_back(name, entry.substr(equals + 1));
    }
}

// Sorted by name; of duplicate names the first wins, as getenv() returns the
// first match. The views are sorted once and the strings built after: a
// container's environment is read at every start-up, and inserting into the
// sorted vector one entry at a time moved every later pair of strings each
// time (a quarter of tend's start-up instructions with 40 variables).
Vars sorted_unique(std::vector<Entry> entries) {
    std::ranges::stable_sort(entries, std::less<>{}, &Entry::first);
    auto duplicates = std::ranges::unique(entries, std::ranges::equal_to{}, &Entry::first);
    entries.erase(duplicates.begin(), duplicates.end());
    Vars vars;
    vars.reserve(entries.size());
    for (const auto& [name, value] : entries) vars.emplace_back(std::string(name), std::string(value));
    return vars;
}

void set_user_variables(Environment& env, const Credentials& credentials) {
    env.set("HOME", credentials.home);
    if (credentials.user_name) {
        env.set("USER", *credentials.user_name);
        env.set("LOGNAME", *credentials.user_name);
    } else {
        env.unset("USER");
        env.unset("LOGNAME");
    }
}

// Without a `user` file the service runs as tend's own user, so values that
// layer 1 brought in (import-env HOME, say) are already that user's: only the
// missing ones are filled in.
void fill_user_variables(Environment& env, const Credentials& credentials) {
    if (!env.contains("HOME")) {
        env.set("HOME", credentials.home);
    }
    if (credentials.user_name) {
        if (!env.contains("USER")) {
            env.set("USER", *credentials.user_name);
        }
        if (!env.contains("LOGNAME")) {
            env.set("LOGNAME", *credentials.user_name);
        }
    }
}

Environment build_environment(const config::ServiceConfig& service, const EnvironmentInputs& inputs) {
    Environment env;

    // Layer 1: the container env, all or a named subset, or nothing.
    if (inputs.container != nullptr) {
        if (service.keep_env) {
            env = *inputs.container;
        } else if (service.import_env) {
            for (const std::string& name : *service.import_env) {
                if (auto value = inputs.container->get(name)) {
                    env.set(name, *value);
                }
            }
        }
    }

    // Layer 2: what every service can rely on.
    if (!env.contains("PATH") && !inputs.default_path.empty()) {
        env.set("PATH", inputs.default_path);
    }
    if (service.user) {
        if (inputs.credentials != nullptr) {
            set_user_variables(env, *inputs.credentials);
        } else {
            // Unknown target: better no HOME than the container's (root's).
            env.unset("HOME");
            env.unset("USER");
            env.unset("LOGNAME");
        }
    } else if (!service.keep_env && inputs.credentials != nullptr) {
        fill_user_variables(env, *inputs.credentials);
    }
    env.set("TEND_SERVICE", service.name);

    // Layer 3: env/, the service's own word, wins over everything.
    for (const config::EnvdirEntry& entry : service.envdir) {
        if (entry.value) {
            env.set(entry.name, *entry.value);
        } else {
            env.unset(entry.name);
        }
    }
    return env;
}

}  // namespace

Environment Environment::from_strings(const std::vector<std::string>& entries) {
    std::vector<Entry> views;
    views.reserve(entries.size());
    for (const std::string& entry : entries) add_entry(views, entry);
    Environment env;
    env.vars_ = sorted_unique(std::move(views));
    return env;
}

Environment Environment::from_environ(char** envp) {
    std::vector<Entry> views;
    for (char** entry = envp; entry != nullptr && *entry != nullptr; ++entry) add_entry(views, *entry);
    Environment env;
    env.vars_ = sorted_unique(std::move(views));
    return env;
}

void Environment::set(std::string_view name, std::string_view value) {
    if (!valid_name(name)) {
        return;
    }
    auto it = slot_for(vars_, name);
    if (it != vars_.end() && it->first == name) {
        it->second.assign(value);
    } else {
        vars_.emplace(it, std::string(name), std::string(value));
    }
}

void Environment::unset(std::string_view name) {
    auto it = slot_for(vars_, name);
    if (it != vars_.end() && it->first == name) {
        vars_.erase(it);
    }
}

std::optional<std::string> Environment::get(std::string_view name) const {
    auto it = slot_for(vars_, name);
    if (it != vars_.end() && it->first == name) {
        return it->second;
    }
    return std::nullopt;
}

bool Environment::contains(std::string_view name) const {
    auto it = slot_for(vars_, name);
    return it != vars_.end() && it->first == name;
}

std::vector<std::string> Environment::to_strings() const {
    std::vector<std::string> strings;
    strings.reserve(vars_.size());
    for (const auto& [name, value] : vars_) {
        std::string entry;
        entry.reserve(name.size() + 1 + value.size());
        entry.append(name);
        entry += '=';
        entry.append(value);
        strings.push_back(std::move(entry));
    }
    return strings;
}

Environment build_service_environment(const config::ServiceConfig& service,
                                      const EnvironmentInputs& inputs) {
    return build_environment(service, inputs);
}

}  // namespace tend::process
