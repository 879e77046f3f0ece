// The service environment is built from an allow-list, never by filtering
// the container's: whatever the rules below do not name stays out, so a
// container secret cannot reach a cleared service by accident.
#include "tend/process/environment.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

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
    return std::lower_bound(vars.begin(), vars.end(), name,
                            [](const auto& var, std::string_view wanted) { return var.name() < wanted; });
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

// A "NAME=value" entry accepted at start-up, before sorting: 32 bytes, so
// that the sort moves little. `index` is its place in the input: of equal
// names the earlier one sorts first and wins. `prefix` holds the name's first
// 16 bytes, big-endian and padded with NUL (which no name holds), so that
// comparing the two integers orders names bytewise; most names differ there,
// and memcmp runs only when they do not.
// (An environ entry is at most 128 KiB, MAX_ARG_STRLEN; files are read with
// a limit: sizes fit 32 bits.)
struct Environment::Candidate {
    std::array<std::uint64_t, 2> prefix;
    const char* text;
    std::uint32_t name_size;
    std::uint32_t index;
};

namespace {

std::array<std::uint64_t, 2> name_prefix(const char* name, std::size_t name_size) {
    std::array<unsigned char, 16> bytes{};
    std::memcpy(bytes.data(), name, std::min(name_size, bytes.size()));
    std::array<std::uint64_t, 2> words;
    std::memcpy(words.data(), bytes.data(), bytes.size());
    if constexpr (std::endian::native == std::endian::little)
        for (std::uint64_t& word : words) word = std::byteswap(word);
    return words;
}

}  // namespace

// Sorted once by (name, input order), later duplicates dropped: a
// container's environment is read at every start-up, in a Kubernetes pod
// with a group of variables per Service of the namespace. Inserting into the
// sorted vector one entry at a time, or a stable sort through a projection,
// cost thousands of instructions per variable.
void Environment::sort_unique(std::vector<Candidate>& candidates) {
    // Bytewise, as std::string_view compares; rarely past the prefix.
    auto compare_names = [](const Candidate& a, const Candidate& b) {
        if (int order = std::memcmp(a.text, b.text, std::min(a.name_size, b.name_size)); order != 0) return order;
        return a.name_size < b.name_size ? -1 : (a.name_size > b.name_size ? 1 : 0);
    };
    // Inlined into the sort: a call per comparison was a third of its cost.
    std::sort(candidates.begin(), candidates.end(),
              [&](const Candidate& a, const Candidate& b) __attribute__((always_inline)) {
                  if (a.prefix[0] != b.prefix[0]) return a.prefix[0] < b.prefix[0];
                  if (a.prefix[1] != b.prefix[1]) return a.prefix[1] < b.prefix[1];
                  int order = compare_names(a, b);
                  return order != 0 ? order < 0 : a.index < b.index;
              });
    auto duplicates = std::unique(candidates.begin(), candidates.end(), [&](const Candidate& a, const Candidate& b) {
        return a.prefix == b.prefix && compare_names(a, b) == 0;  // the first is kept: getenv() returns it
    });
    candidates.erase(duplicates, candidates.end());
}

// Entries without '=' or with an empty name are not variables; a name with
// NUL could not be read back from the C string.
Environment Environment::from_strings(const std::vector<std::string>& entries) {
    std::vector<Candidate> candidates;
    candidates.reserve(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const std::string& entry = entries[i];
        std::size_t equals = entry.find('=');
        if (equals == std::string::npos || equals == 0) continue;
        if (std::memchr(entry.data(), '\0', equals) != nullptr) continue;
        candidates.push_back({name_prefix(entry.data(), equals), entry.data(), static_cast<std::uint32_t>(equals),
                              static_cast<std::uint32_t>(i)});
    }
    sort_unique(candidates);
    Environment env;
    env.vars_.reserve(candidates.size());
    for (const Candidate& candidate : candidates) {
        Variable& var = env.vars_.emplace_back();
        var.owned = entries[candidate.index];  // the value may hold NUL
        var.size = var.owned.size();
        var.name_size = candidate.name_size;
    }
    return env;
}

// The name of a C string ends at its first '=', so it holds neither '=' nor
// NUL: only entries without '=' or with an empty name are dropped.
Environment Environment::from_environ(char** envp) {
    std::vector<Candidate> candidates;
    if (envp != nullptr) {
        std::size_t count = 0;
        while (envp[count] != nullptr) ++count;
        candidates.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            const char* entry = envp[i];
            const char* equals = std::strchr(entry, '=');
            if (equals == nullptr || equals == entry) continue;
            auto name_size = static_cast<std::size_t>(equals - entry);
            candidates.push_back({name_prefix(entry, name_size), entry, static_cast<std::uint32_t>(name_size),
                                  static_cast<std::uint32_t>(i)});
        }
    }
    sort_unique(candidates);
    Environment env;
    env.vars_.reserve(candidates.size());
    for (const Candidate& candidate : candidates) {
        Variable& var = env.vars_.emplace_back();
        var.borrowed = candidate.text;
        var.size = candidate.name_size + 1 + std::strlen(candidate.text + candidate.name_size + 1);
        var.name_size = candidate.name_size;
    }
    return env;
}

void Environment::set(std::string_view name, std::string_view value) {
    if (!valid_name(name)) {
        return;
    }
    std::string text;
    text.reserve(name.size() + 1 + value.size());
    text.append(name);
    text += '=';
    text.append(value);
    auto it = slot_for(vars_, name);
    if (it == vars_.end() || it->name() != name) it = vars_.emplace(it);
    it->borrowed = nullptr;
    it->owned = std::move(text);
    it->size = it->owned.size();
    it->name_size = name.size();
}

void Environment::unset(std::string_view name) {
    auto it = slot_for(vars_, name);
    if (it != vars_.end() && it->name() == name) {
        vars_.erase(it);
    }
}

std::optional<std::string> Environment::get(std::string_view name) const {
    auto it = slot_for(vars_, name);
    if (it != vars_.end() && it->name() == name) {
        return std::string(it->value());
    }
    return std::nullopt;
}

bool Environment::contains(std::string_view name) const {
    auto it = slot_for(vars_, name);
    return it != vars_.end() && it->name() == name;
}

std::vector<std::string> Environment::to_strings() const {
    std::vector<std::string> strings;
    strings.reserve(vars_.size());
    for (const Variable& var : vars_) strings.emplace_back(var.text());
    return strings;
}

Environment build_service_environment(const config::ServiceConfig& service,
                                      const EnvironmentInputs& inputs) {
    return build_environment(service, inputs);
}

}  // namespace tend::process
