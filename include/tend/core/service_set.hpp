// The services' dependencies, resolved once at load: which service waits
// for which (an immutable config::DependencyGraph over the services'
// indices), which cannot start because of them, and which are held down.
//
// The Supervisor keeps one and asks it; nothing in it changes after load.
// Resolving is bounded however the services depend on each other: one
// iterative walk of the graph finds the cycles, and the refusals and `down`
// files reach the dependants each service and edge once, so a chain of
// 100,000 services neither grows tend's stack nor takes quadratic time.
//
// Refusals, each naming the service's `depends` file:
//   no service named 'x'       a name in `depends` that is no service
//   dependency cycle a -> b -> a   every service on a cycle the walk meets
//                              (services by index, dependencies in the
//                              file's order), named by the first cycle that
//                              reaches it; a long cycle is shortened in
//                              the middle ("... (N more) ...")
//   dependency 'x' is refused  waits, directly or through others, for a
//                              refused service: x is the dependency found
//                              refused first by passes over the services
//                              by index (the file's order within one)
// Start order: start_all starts services by index (the services dir's
// order); one whose dependencies are not ready waits for them.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tend/config/dependency_graph.hpp"

namespace tend::core {

class ServiceSet {
public:
    // What resolving reads of one service.
    struct Service {
        std::string_view name;
        std::string_view dir;
        std::span<const std::string> depends;  // ignored when the service is refused already
        bool down = false;                     // it has a `down` file
    };

    ServiceSet() = default;
    // refusals: one per service, why it is refused (empty: it is not).
    // Resolving adds the dependency refusals to those still empty.
    static ServiceSet resolve(std::span<const Service> services, std::vector<std::string>& refusals);

    std::size_t size() const { return graph_.size(); }
    // The services `service` depends on (a refused one's may be partial).
    std::span<const std::size_t> dependencies(std::size_t service) const { return graph_.dependencies(service); }
    // The services that depend on `service`, by index.
    std::span<const std::size_t> dependants(std::size_t service) const { return graph_.dependants(service); }
    // Held down: the service has a `down` file, or waits (directly or
    // through others) for one that has.
    bool held_down(std::size_t service) const { return service < held_down_.size() && held_down_[service]; }
    const config::DependencyGraph& graph() const { return graph_; }

private:
    config::DependencyGraph graph_;
    std::vector<bool> held_down_;
};

}  // namespace tend::core
