#include "tend/process/identity_plan.hpp"

#include <linux/capability.h>
#include <unistd.h>

#include <algorithm>

#include "tend/process/capabilities.hpp"

namespace tend::process {
namespace {

bool same_groups(std::vector<gid_t> a, std::vector<gid_t> b) {
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    return a == b;
}

std::string limit_text(rlim_t value) { return value == RLIM_INFINITY ? "unlimited" : std::to_string(value); }

bool holds(std::uint64_t set, unsigned cap) { return (set & capability_bit(cap)) != 0; }

std::unexpected<IdentityRefusal> refuse(IdentityRefusal::Kind kind, std::string file, std::string reason) {
    return std::unexpected(IdentityRefusal{kind, std::move(file), std::move(reason)});
}

}  // namespace

TendPrivileges TendPrivileges::current(Credentials own) {
    TendPrivileges tend;
    tend.own = std::move(own);
    tend.euid = ::geteuid();
    tend.egid = ::getegid();
    tend.effective = own_effective_capabilities();
    tend.permitted = own_permitted_capabilities();
    tend.bounding_set = [] { return own_bounding_set(); };
    tend.hard_limit = [](int resource) -> std::optional<rlim_t> {
        rlimit own_limit{};
        if (::getrlimit(static_cast<__rlimit_resource>(resource), &own_limit) != 0) return std::nullopt;
        return own_limit.rlim_max;
    };
    return tend;
}

std::expected<IdentityPlan, IdentityRefusal> plan_identity(const IdentityRequest& request, const TendPrivileges& tend,
                                                           const UserDatabase& db) {
    using Kind = IdentityRefusal::Kind;
    IdentityPlan plan;
    plan.credentials = tend.own;
    if (request.user) {
        auto resolved = resolve_user(*request.user, db);
        if (!resolved) return refuse(Kind::UnknownUser, "user", resolved.error());
        const Credentials& own = tend.own;
        const bool same_uid = resolved->uid == own.uid && tend.euid == own.uid;
        const bool same_gid = resolved->gid == own.gid && tend.egid == own.gid;
        const bool already_there = same_uid && same_gid && same_groups(resolved->groups, own.groups);
        const bool may_set_groups = holds(tend.effective, CAP_SETGID);
        if (request.as_me) {
            // The environment still describes tend's user: that is who it runs as.
            if (!already_there)
                plan.note = {true, "--as-me: running as tend's own user instead of '" + *request.user + "'"};
        } else if (same_uid && same_gid && !already_there && !may_set_groups) {
            // tend's own user (an image run with --user 3000:3000): no switch is
            // needed; only the supplementary groups differ, and tend may not set them.
            plan.note = {false, "runs as tend's own uid " + std::to_string(own.uid) + " and gid " +
                                    std::to_string(own.gid) +
                                    " with tend's supplementary groups: tend lacks CAP_SETGID to set those of '" +
                                    *request.user + "'"};
            plan.credentials = *resolved;
            plan.credentials.groups = own.groups;
        } else if (same_uid && !same_gid && !may_set_groups) {
            // OpenShift: an arbitrary uid with gid 0. Refuse clearly instead of
            // running with a gid the file did not ask for.
            return refuse(Kind::GidNeedsSetgid, "user",
                          "asks for gid " + std::to_string(resolved->gid) + " but tend runs as uid " +
                              std::to_string(own.uid) + " with gid " + std::to_string(tend.egid) +
                              " and lacks CAP_SETGID to change it; write `user " + std::to_string(own.uid) + ":" +
                              std::to_string(tend.egid) + "` to run with tend's own ids");
        } else {
            plan.credentials = *resolved;
            if (!already_there) {
                // The same uid needs only CAP_SETGID (setresuid to one's own ids is allowed).
                std::uint64_t needed = capability_bit(CAP_SETGID);
                if (!same_uid) needed |= capability_bit(CAP_SETUID);
                const std::uint64_t missing = needed & ~tend.effective;
                if (missing != 0)
                    return refuse(Kind::SwitchNeedsCaps, "user",
                                  "tend cannot switch to uid " + std::to_string(resolved->uid) + ": it lacks " +
                                      capability_names(missing) +
                                      " (give the container these capabilities, or run tend with --as-me)");
                plan.identity = IdentityChange{resolved->uid, resolved->gid, resolved->groups};
            }
        }
    }

    // A limit above tend's own hard limit can only be set with CAP_SYS_RESOURCE.
    if (!holds(tend.effective, CAP_SYS_RESOURCE) && tend.hard_limit) {
        for (const auto& limit : request.limits) {
            const std::optional<rlim_t> own_hard = tend.hard_limit(limit.resource);
            if (!own_hard || limit.hard <= *own_hard) continue;
            return refuse(Kind::LimitAboveHard, "limits",
                          limit.name + " " + limit_text(limit.hard) + " is above tend's hard limit " +
                              limit_text(*own_hard) + " and tend lacks CAP_SYS_RESOURCE to raise it");
        }
    }

    const uid_t target_uid = plan.identity ? plan.identity->uid : tend.euid;
    const bool non_root = target_uid != 0;
    CapabilityPlan& caps = plan.capabilities;
    caps.manage = non_root || request.capabilities.has_value();
    caps.keep = request.capabilities.value_or(0);
    caps.raise_ambient = non_root && caps.keep != 0;
    caps.bounding_best_effort = !request.allow_new_privs;
    // With allow-new-privs the bounding set must really shrink (no_new_privs
    // is what makes a leftover harmless otherwise), which takes CAP_SETPCAP.
    if (caps.manage && request.allow_new_privs && !holds(tend.effective, CAP_SETPCAP)) {
        const std::uint64_t to_drop = (tend.bounding_set ? tend.bounding_set() : ~std::uint64_t{0}) & ~caps.keep;
        if (to_drop != 0)
            return refuse(Kind::BoundingNeedsSetpcap, "allow-new-privs",
                          "tend cannot drop " + capability_names(to_drop) +
                              " from the bounding set without CAP_SETPCAP, and without no_new_privs a setuid or "
                              "file-capability program could regain them (give tend CAP_SETPCAP, or remove "
                              "allow-new-privs)");
    }
    if (request.capabilities) {
        const std::uint64_t missing = caps.keep & ~tend.permitted;
        if (missing != 0)
            return refuse(Kind::CapabilityNotHeld, "capabilities",
                          "tend does not have " + capability_names(missing) + " to give");
    }
    return plan;
}

}  // namespace tend::process
