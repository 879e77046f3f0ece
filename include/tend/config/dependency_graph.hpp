// Which thing waits for which (services for the supervisor, s6-rc oneshots
// for the s6-rc reader), as one immutable graph and the walks over it both
// need: a topological order that finds cycles, and the transitive spread of
// a mark to every dependant (a refusal, a `down` file, "runs late").
//
// Nodes are indices 0..n-1; an edge "i depends on j". The graph is built
// once and never changes, so views of its edges stay valid for its life.
// Every walk is iterative, with an explicit stack: tend is PID 1, and a
// chain of 100,000 services must not grow its stack (a recursive walk
// would). Memory is O(n + e); nothing here allocates per step of a walk.
// Deterministic: roots in the order given (by index by default), each
// node's dependencies in the order they were given, which is the order a
// recursive depth-first walk would take, so the cycles found and the order
// are the ones such a walk would find.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

namespace tend::config {

class DependencyGraph {
public:
    using Node = std::size_t;

    DependencyGraph() = default;
    // dependencies[i]: the nodes i depends on, in order (duplicates kept).
    // An edge to a node >= dependencies.size() is dropped.
    explicit DependencyGraph(const std::vector<std::vector<Node>>& dependencies);

    std::size_t size() const { return dependency_start_.empty() ? 0 : dependency_start_.size() - 1; }
    // What `node` depends on, in the order given.
    std::span<const Node> dependencies(Node node) const;
    // What depends on `node`, by increasing index (once per edge).
    std::span<const Node> dependants(Node node) const;

    // A cycle met by the walk: path[0] depends on path[1], ..., and
    // path.back() depends on path[0] again (a self-dependency is a path of
    // one). path[0] is the node the walk came back to. The span is the
    // walk's own stack: valid during the call only.
    using CycleVisitor = std::function<void(std::span<const Node> path)>;

    // The depth-first walk from each root in turn (a node already reached
    // is not walked again): every node it reaches, each after the nodes it
    // depends on, except along the edge that closes a cycle; each cycle is
    // reported once per closing edge, in the order met. Every cycle among
    // the reached nodes has at least one closing edge reported, so the
    // nodes reported and their dependants (with_dependants) cover every
    // node on or behind a cycle.
    std::vector<Node> order(std::span<const Node> roots, const CycleVisitor& on_cycle = {}) const;
    // The same from every node, by index: every node is in the order.
    std::vector<Node> order(const CycleVisitor& on_cycle = {}) const;

    // The marked nodes and every node that depends on one, directly or
    // through others (`marked` has size() entries).
    std::vector<bool> with_dependants(std::vector<bool> marked) const;

private:
    // Compressed adjacency: node i's edges are edges[start[i]..start[i+1]).
    std::vector<std::size_t> dependency_start_;
    std::vector<Node> dependency_edges_;
    std::vector<std::size_t> dependant_start_;
    std::vector<Node> dependant_edges_;
};

}  // namespace tend::config
