// The dependency graph (config/dependency_graph.hpp) and the services'
// dependencies resolved on it (core/service_set.hpp): order, cycles with
// their paths, determinism, the spread of a mark to the dependants, and
// chains long enough that a recursive walk would overflow a small stack.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "scratch.hpp"
#include "small_stack.hpp"
#include "tend/config/dependency_graph.hpp"
#include "tend/core/service_set.hpp"
#include "tend/s6/s6rc.hpp"

namespace {

using tend::config::DependencyGraph;
using Node = DependencyGraph::Node;
using Paths = std::vector<std::vector<Node>>;

std::vector<Node> nodes(std::span<const Node> span) { return {span.begin(), span.end()}; }

// The order of the whole graph, and the cycles met, as paths.
std::pair<std::vector<Node>, Paths> walk(const DependencyGraph& graph) {
    Paths cycles;
    auto order = graph.order([&](std::span<const Node> path) { cycles.push_back(nodes(path)); });
    return {order, cycles};
}

// Each node after its dependencies (for graphs without cycles).
void expect_dependencies_first(const DependencyGraph& graph, const std::vector<Node>& order) {
    ASSERT_EQ(order.size(), graph.size());
    std::vector<std::size_t> position(graph.size());
    for (std::size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
    for (Node node = 0; node < graph.size(); ++node)
        for (Node dep : graph.dependencies(node)) EXPECT_LT(position[dep], position[node]) << node << " on " << dep;
}

TEST(DependencyGraph, KeepsTheEdgesBothWays) {
    // 0 depends on 2 then 1; 3 on 1 twice; an edge out of range is dropped.
    const DependencyGraph graph({{2, 1}, {}, {}, {1, 1, 9}});
    EXPECT_EQ(graph.size(), 4u);
    EXPECT_EQ(nodes(graph.dependencies(0)), (std::vector<Node>{2, 1}));
    EXPECT_EQ(nodes(graph.dependencies(3)), (std::vector<Node>{1, 1}));
    EXPECT_EQ(nodes(graph.dependants(1)), (std::vector<Node>{0, 3, 3}));
    EXPECT_EQ(nodes(graph.dependants(2)), (std::vector<Node>{0}));
    EXPECT_TRUE(graph.dependants(0).empty());
    EXPECT_TRUE(graph.dependencies(7).empty());
    EXPECT_EQ(DependencyGraph().size(), 0u);
    EXPECT_TRUE(DependencyGraph().order().empty());
}

TEST(DependencyGraph, OrdersDependenciesFirst) {
    // A diamond and a tail: 0 -> {1, 2} -> 3 -> 4; 5 alone.
    const DependencyGraph graph({{1, 2}, {3}, {3}, {4}, {}, {}});
    auto [order, cycles] = walk(graph);
    EXPECT_TRUE(cycles.empty());
    expect_dependencies_first(graph, order);
    // Depth first, dependencies in the order given, roots by index.
    EXPECT_EQ(order, (std::vector<Node>{4, 3, 1, 2, 0, 5}));
}

TEST(DependencyGraph, TheOrderIsDeterministicAndFollowsTheRootsGiven) {
    const DependencyGraph graph({{}, {}, {0}, {}, {1, 0}});
    EXPECT_EQ(graph.order(), (std::vector<Node>{0, 1, 2, 3, 4}));
    EXPECT_EQ(graph.order(), graph.order());
    // From chosen roots (a name order, say): only what they reach.
    const std::vector<Node> roots{4, 3};
    EXPECT_EQ(graph.order(roots), (std::vector<Node>{1, 0, 4, 3}));
    const std::vector<Node> again{2, 2};
    EXPECT_EQ(graph.order(again), (std::vector<Node>{0, 2}));
}

TEST(DependencyGraph, ASelfDependencyIsACycleOfOne) {
    const DependencyGraph graph({{}, {1}, {1}});
    auto [order, cycles] = walk(graph);
    EXPECT_EQ(cycles, (Paths{{1}}));
    EXPECT_EQ(order, (std::vector<Node>{0, 1, 2}));
}

TEST(DependencyGraph, ATwoNodeCycleIsReportedWithItsPath) {
    // 0 -> 1 -> 0; 2 depends on the cycle without being on it.
    const DependencyGraph graph({{1}, {0}, {1}});
    auto [order, cycles] = walk(graph);
    EXPECT_EQ(cycles, (Paths{{0, 1}}));
    EXPECT_EQ(order.size(), 3u);
    // The walk came back to 0 from 1: its path starts at 0.
    const DependencyGraph from_one({{1}, {0}});
    const std::vector<Node> roots{1};
    Paths seen;
    from_one.order(roots, [&](std::span<const Node> path) { seen.push_back(nodes(path)); });
    EXPECT_EQ(seen, (Paths{{1, 0}}));
}

TEST(DependencyGraph, ALongCycleIsReportedWithEveryNodeOnIt) {
    constexpr std::size_t n = 1000;
    std::vector<std::vector<Node>> deps(n + 1);
    for (Node i = 0; i < n; ++i) deps[i] = {(i + 1) % n};
    deps[n] = {500};  // behind the cycle, not on it
    const DependencyGraph graph(deps);
    auto [order, cycles] = walk(graph);
    ASSERT_EQ(cycles.size(), 1u);
    std::vector<Node> expected(n);
    for (Node i = 0; i < n; ++i) expected[i] = i;
    EXPECT_EQ(cycles[0], expected);
    std::vector<bool> on_cycle(n + 1, false);
    for (Node node : cycles[0]) on_cycle[node] = true;
    EXPECT_EQ(graph.with_dependants(on_cycle), std::vector<bool>(n + 1, true));
}

// A node on a cycle whose closing edge the walk does not take (it meets
// that part of the cycle finished already) is not on a reported path, but
// it depends on one: with_dependants covers it.
TEST(DependencyGraph, EveryNodeOnACycleIsOnAReportedPathOrBehindOne) {
    // 0 -> {1, 2}, 1 -> 0, 2 -> 1: the cycles 0 1 and 0 2 1.
    const DependencyGraph graph({{1, 2}, {0}, {1}});
    auto [order, cycles] = walk(graph);
    EXPECT_EQ(cycles, (Paths{{0, 1}}));
    std::vector<bool> reported(3, false);
    for (const auto& path : cycles)
        for (Node node : path) reported[node] = true;
    EXPECT_FALSE(reported[2]);
    EXPECT_EQ(graph.with_dependants(reported), std::vector<bool>(3, true));
}

TEST(DependencyGraph, WithDependantsSpreadsAMarkToEveryDependantAndNoFurther) {
    // 0 <- 1 <- 2, 3 <- 2; 4 alone; 5 depends on 4.
    const DependencyGraph graph({{}, {0}, {1, 3}, {}, {}, {4}});
    EXPECT_EQ(graph.with_dependants({true, false, false, false, false, false}),
              (std::vector<bool>{true, true, true, false, false, false}));
    EXPECT_EQ(graph.with_dependants({false, false, false, true, false, false}),
              (std::vector<bool>{false, false, true, true, false, false}));
    EXPECT_EQ(graph.with_dependants({}), std::vector<bool>(6, false));
}

// 200,000 nodes, each depending on the next: a walk that recursed per node
// needs megabytes of stack; this one runs on 256 KB.
TEST(DependencyGraph, AChainOf200000NodesNeedsNoDeepStack) {
    tend::testing::on_small_stack([] {
        constexpr std::size_t n = 200'000;
        std::vector<std::vector<Node>> deps(n);
        for (Node i = 0; i + 1 < n; ++i) deps[i] = {i + 1};
        const DependencyGraph chain(deps);
        auto [order, cycles] = walk(chain);
        EXPECT_TRUE(cycles.empty());
        ASSERT_EQ(order.size(), n);
        EXPECT_EQ(order.front(), n - 1);
        EXPECT_EQ(order.back(), 0u);
        std::vector<bool> last(n, false);
        last[n - 1] = true;
        EXPECT_EQ(chain.with_dependants(last), std::vector<bool>(n, true));

        deps[n - 1] = {0};  // closed: one cycle through all of them
        const DependencyGraph ring(deps);
        auto [ring_order, ring_cycles] = walk(ring);
        ASSERT_EQ(ring_cycles.size(), 1u);
        EXPECT_EQ(ring_cycles[0].size(), n);
        EXPECT_EQ(ring_order.size(), n);
    });
}

// ---- ServiceSet: the services' dependencies ---------------------------------

using tend::core::ServiceSet;

struct Services {
    std::vector<std::string> names;
    std::vector<std::vector<std::string>> depends;
    std::vector<bool> down;
    std::vector<std::string> refusals;

    void add(const std::string& name, std::vector<std::string> deps = {}, bool is_down = false) {
        names.push_back(name);
        depends.push_back(std::move(deps));
        down.push_back(is_down);
        refusals.emplace_back();
    }
    ServiceSet resolve() {
        std::vector<std::string> dirs;
        for (const auto& name : names) dirs.push_back("/s/" + name);
        std::vector<ServiceSet::Service> services;
        for (std::size_t i = 0; i < names.size(); ++i)
            services.push_back({names[i], dirs[i], depends[i], down[i]});
        return ServiceSet::resolve(services, refusals);
    }
};

TEST(ServiceSetDependencies, RefusalsNameTheDependsFileAndWhatIsWrong) {
    Services s;
    s.add("a", {"b"});
    s.add("b", {"a"});
    s.add("self", {"self"});
    s.add("orphan", {"fine", "nowhere", "a"});
    s.add("after-orphan", {"fine", "orphan"});
    s.add("fine");
    s.add("broken", {"nowhere"});
    s.refusals[6] = "/s/broken/run: missing";  // refused before: its depends are not read
    const ServiceSet set = s.resolve();
    EXPECT_EQ(s.refusals[0], "/s/a/depends: dependency cycle a -> b -> a");
    EXPECT_EQ(s.refusals[1], "/s/b/depends: dependency cycle a -> b -> a");
    EXPECT_EQ(s.refusals[2], "/s/self/depends: dependency cycle self -> self");
    EXPECT_EQ(s.refusals[3], "/s/orphan/depends: no service named 'nowhere'");
    EXPECT_EQ(s.refusals[4], "/s/after-orphan/depends: dependency 'orphan' is refused");
    EXPECT_EQ(s.refusals[5], "");
    EXPECT_EQ(s.refusals[6], "/s/broken/run: missing");
    // The names before the unknown one stay its dependencies, as they were.
    EXPECT_EQ(nodes(set.dependencies(3)), (std::vector<Node>{5}));
    EXPECT_EQ(nodes(set.dependants(5)), (std::vector<Node>{3, 4}));
    EXPECT_TRUE(set.dependencies(6).empty());
}

// Behind two refused dependencies, the one the passes over the services
// (by index, each service's dependencies in the file's order) find first.
TEST(ServiceSetDependencies, TheRefusedDependencyNamedIsTheOneFoundFirst) {
    Services s;
    s.add("app", {"cache", "db"});  // cache is refused after app, in the same pass
    s.add("db", {"nowhere"});
    s.add("cache", {"db"});
    s.add("web", {"cache", "db"});  // after cache: both are refused when web is checked
    s.resolve();
    EXPECT_EQ(s.refusals[0], "/s/app/depends: dependency 'db' is refused");
    EXPECT_EQ(s.refusals[2], "/s/cache/depends: dependency 'db' is refused");
    EXPECT_EQ(s.refusals[3], "/s/web/depends: dependency 'cache' is refused");
}

TEST(ServiceSetDependencies, ADownFileHoldsDownEveryServiceWaitingForIt) {
    Services s;
    s.add("db", {}, true);
    s.add("app", {"db"});
    s.add("web", {"app"});
    s.add("cron");
    const ServiceSet set = s.resolve();
    EXPECT_TRUE(set.held_down(0));
    EXPECT_TRUE(set.held_down(1));
    EXPECT_TRUE(set.held_down(2));
    EXPECT_FALSE(set.held_down(3));
    EXPECT_FALSE(set.held_down(99));
    for (const auto& refusal : s.refusals) EXPECT_EQ(refusal, "");
}

// The first cycle that reaches a service names it; a long one is shortened.
TEST(ServiceSetDependencies, ALongCycleIsNamedInOneLine) {
    Services s;
    constexpr std::size_t n = 40;
    for (std::size_t i = 0; i < n; ++i) s.add("s" + std::to_string(i), {"s" + std::to_string((i + 1) % n)});
    s.resolve();
    const std::string cycle = "dependency cycle s0 -> s1 -> s2 -> s3 -> s4 -> s5 -> s6 -> s7 -> ... (31 more) -> s39 -> s0";
    EXPECT_EQ(s.refusals[0], "/s/s0/depends: " + cycle);
    EXPECT_EQ(s.refusals[39], "/s/s39/depends: " + cycle);
}

// 200,000 services in a chain, resolved on a 256 KB stack: once with an
// unknown name at its end (every service is refused behind it), once
// closed into a cycle.
TEST(ServiceSetDependencies, AChainOf200000ServicesResolvesOnASmallStack) {
    tend::testing::on_small_stack([] {
        constexpr std::size_t n = 200'000;
        Services s;
        for (std::size_t i = 0; i < n; ++i) s.add("s" + std::to_string(i), {"s" + std::to_string(i + 1)});
        s.depends[n - 1] = {"s0"};
        s.down[n - 1] = true;
        ServiceSet set = s.resolve();
        EXPECT_TRUE(std::all_of(s.refusals.begin(), s.refusals.end(), [](const std::string& refusal) {
            return refusal.find(": dependency cycle s0 -> s1 -> ") != std::string::npos &&
                   refusal.ends_with("(199991 more) -> s199999 -> s0");
        })) << s.refusals[0];
        EXPECT_TRUE(set.held_down(0));

        s.depends[n - 1] = {"nowhere"};
        s.refusals.assign(n, "");
        set = s.resolve();
        EXPECT_EQ(s.refusals[n - 1], "/s/s199999/depends: no service named 'nowhere'");
        EXPECT_EQ(s.refusals[0], "/s/s0/depends: dependency 's1' is refused");
        EXPECT_EQ(s.refusals[n - 2], "/s/s199998/depends: dependency 's199999' is refused");
    });
}

// ---- the s6-rc reader on the same graph ------------------------------------

namespace fs = std::filesystem;

// An s6-rc.d tree of `count` definitions of `type`, each depending on the
// one before; the `user` bundle names the last.
void chain_tree(const fs::path& overlay, const std::string& type, std::size_t count) {
    const fs::path rc = overlay / "s6-rc.d";
    auto name = [](std::size_t i) {
        std::string digits = std::to_string(i);
        return "n" + std::string(5 - digits.size(), '0') + digits;
    };
    // Few files per definition (the reader needs no up or run file): the
    // file system, not the reader, is what takes time here.
    for (std::size_t i = 0; i < count; ++i) {
        fs::create_directories(rc / name(i));
        tend::testing::write_file(rc / name(i) / "type", type + "\n");
        if (i > 0) tend::testing::write_file(rc / name(i) / "dependencies", name(i - 1) + "\n");
    }
    fs::create_directories(rc / "user");
    tend::testing::write_file(rc / "user" / "contents", name(count - 1) + "\n");
}

// Wanted, ordered and checked for lateness without recursion: 1,000
// oneshots in a chain, on a 256 KB stack (the recursive reader overflowed
// it), all of them in order and none late (the recursive reader cut its walk
// at a depth of 256, and the oneshots it left out ran late).
TEST(S6rcDeepTrees, AChainOf1000OneshotsIsOrderedWholeOnASmallStack) {
    tend::testing::ScratchDir dir;
    chain_tree(dir.path(), "oneshot", 1000);
    tend::testing::on_small_stack([&] {
        const auto plan = tend::s6::load_s6rc(dir.path());
        EXPECT_TRUE(plan.errors.empty()) << plan.errors.front();
        ASSERT_EQ(plan.oneshots.size(), 1000u);
        EXPECT_TRUE(plan.late_oneshots.empty());
        EXPECT_EQ(plan.oneshots.front().name, "n00000");
        EXPECT_EQ(plan.oneshots.back().name, "n00999");
        EXPECT_TRUE(std::is_sorted(plan.oneshots.begin(), plan.oneshots.end(),
                                   [](const auto& a, const auto& b) { return a.name < b.name; }));
    });
}

// Every longrun of a chain deeper than 256 is wanted (a recursive reader
// cut its walk there and left the deepest ones out).
TEST(S6rcDeepTrees, AChainOf300LongrunsIsWantedWhole) {
    tend::testing::ScratchDir dir;
    chain_tree(dir.path(), "longrun", 300);
    const auto plan = tend::s6::load_s6rc(dir.path());
    EXPECT_TRUE(plan.errors.empty()) << plan.errors.front();
    ASSERT_EQ(plan.longruns.size(), 300u);
    EXPECT_EQ(plan.longruns[0].name, "n00000");
    EXPECT_TRUE(plan.longruns[0].depends.empty());
    EXPECT_EQ(plan.longruns[299].depends, std::vector<std::string>{"n00298"});
}

}  // namespace
