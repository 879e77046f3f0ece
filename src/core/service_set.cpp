// See service_set.hpp: the services' dependencies, resolved once at load.
#include "tend/core/service_set.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <queue>
#include <unordered_map>

namespace tend::core {
namespace {

std::string depends_file(std::string_view dir) { return (std::filesystem::path(dir) / "depends").string(); }

// "a -> b -> a"; a cycle longer than kCycleShown is shortened in the
// middle, so a cycle of 100,000 services makes a message of a line, not one
// of megabytes in every one of them.
constexpr std::size_t kCycleShown = 16;

std::string describe_cycle(std::span<const std::size_t> path, std::span<const ServiceSet::Service> services) {
    std::string text;
    auto add = [&](std::size_t index) {
        text += services[index].name;
        text += " -> ";
    };
    if (path.size() <= kCycleShown) {
        for (std::size_t index : path) add(index);
    } else {
        for (std::size_t i = 0; i < kCycleShown / 2; ++i) add(path[i]);
        text += "... (" + std::to_string(path.size() - kCycleShown / 2 - 1) + " more) -> ";
        add(path.back());
    }
    text += services[path.front()].name;
    return text;
}

}  // namespace

ServiceSet ServiceSet::resolve(std::span<const Service> services, std::vector<std::string>& refusals) {
    const std::size_t n = services.size();
    refusals.resize(n);
    std::unordered_map<std::string_view, std::size_t> index_of;
    index_of.reserve(n);
    for (std::size_t i = 0; i < n; ++i) index_of.emplace(services[i].name, i);  // the first of a name

    // `depends` names to indices; the first unknown name refuses the
    // service (the names before it stay its dependencies).
    std::vector<std::vector<std::size_t>> dependencies(n);
    for (std::size_t i = 0; i < n; ++i) {
        if (!refusals[i].empty()) continue;
        for (const auto& name : services[i].depends) {
            auto found = index_of.find(name);
            if (found == index_of.end()) {
                refusals[i] = depends_file(services[i].dir) + ": no service named '" + name + "'";
                break;
            }
            dependencies[i].push_back(found->second);
        }
    }
    ServiceSet set;
    set.graph_ = config::DependencyGraph(dependencies);
    dependencies = {};

    // Cycles: every service on one is refused, named by the first cycle met.
    set.graph_.order([&](std::span<const std::size_t> path) {
        std::optional<std::string> cycle;
        for (std::size_t member : path) {
            if (!refusals[member].empty()) continue;
            if (!cycle) cycle = describe_cycle(path, services);
            refusals[member] = depends_file(services[member].dir) + ": dependency cycle " + *cycle;
        }
    });

    // A refused dependency refuses its dependants, transitively, naming the
    // dependency found refused first by the passes tend has always made:
    // over the services by index, each checking its dependencies in the
    // file's order, again until nothing changes. The passes themselves
    // would be quadratic (a chain listed backwards takes one per service),
    // so when each service would be reached is computed instead, earliest
    // first: (pass, index) grows along every dependant, so a heap visits
    // each service once, as Dijkstra's shortest paths do.
    constexpr std::size_t kNever = static_cast<std::size_t>(-1);
    std::vector<std::size_t> pass(n, kNever);  // 0: refused before the passes
    using Reached = std::pair<std::size_t, std::size_t>;  // (pass, index)
    std::priority_queue<Reached, std::vector<Reached>, std::greater<>> heap;
    for (std::size_t i = 0; i < n; ++i)
        if (!refusals[i].empty()) pass[i] = 0;
    // The pass in which `service` finds `dep` refused: the first pass for
    // one refused before them; the same pass for one refused earlier in it.
    auto seen_in = [&](std::size_t dep, std::size_t service) {
        return pass[dep] == 0 ? 1 : dep < service ? pass[dep] : pass[dep] + 1;
    };
    for (std::size_t i = 0; i < n; ++i)
        if (pass[i] == 0) heap.emplace(0, i);
    while (!heap.empty()) {
        const auto [reached, dep] = heap.top();
        heap.pop();
        if (reached != pass[dep]) continue;  // reached earlier already
        for (std::size_t dependant : set.graph_.dependants(dep)) {
            const std::size_t in = seen_in(dep, dependant);
            if (in >= pass[dependant]) continue;
            pass[dependant] = in;
            heap.emplace(in, dependant);
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (pass[i] == 0 || pass[i] == kNever) continue;
        for (std::size_t dep : set.graph_.dependencies(i)) {
            if (pass[dep] == kNever || seen_in(dep, i) > pass[i]) continue;
            refusals[i] = depends_file(services[i].dir) + ": dependency '" + std::string(services[dep].name) +
                          "' is refused";
            break;
        }
    }

    // `down` files are read once, so being held down is decided once.
    std::vector<bool> down(n);
    for (std::size_t i = 0; i < n; ++i) down[i] = services[i].down;
    set.held_down_ = set.graph_.with_dependants(std::move(down));
    return set;
}

}  // namespace tend::core
