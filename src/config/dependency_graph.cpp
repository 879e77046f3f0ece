// See dependency_graph.hpp: one immutable graph, iterative walks only.
#include "tend/config/dependency_graph.hpp"

#include <deque>

namespace tend::config {

DependencyGraph::DependencyGraph(const std::vector<std::vector<Node>>& dependencies) {
    const std::size_t n = dependencies.size();
    dependency_start_.assign(n + 1, 0);
    dependant_start_.assign(n + 1, 0);
    std::size_t edges = 0;
    for (std::size_t i = 0; i < n; ++i) {
        dependency_start_[i] = edges;
        for (Node dep : dependencies[i]) {
            if (dep >= n) continue;
            ++edges;
            ++dependant_start_[dep + 1];
        }
    }
    dependency_start_[n] = edges;
    dependency_edges_.reserve(edges);
    for (const auto& deps : dependencies)
        for (Node dep : deps)
            if (dep < n) dependency_edges_.push_back(dep);
    // Dependants by counting: i ascending, so each list is by index.
    for (std::size_t i = 0; i < n; ++i) dependant_start_[i + 1] += dependant_start_[i];
    dependant_edges_.resize(edges);
    std::vector<std::size_t> next(dependant_start_.begin(), dependant_start_.end() - 1);
    for (std::size_t i = 0; i < n; ++i)
        for (Node dep : this->dependencies(i)) dependant_edges_[next[dep]++] = i;
}

std::span<const DependencyGraph::Node> DependencyGraph::dependencies(Node node) const {
    if (node >= size()) return {};
    return std::span<const Node>(dependency_edges_).subspan(dependency_start_[node],
                                                            dependency_start_[node + 1] - dependency_start_[node]);
}

std::span<const DependencyGraph::Node> DependencyGraph::dependants(Node node) const {
    if (node >= size()) return {};
    return std::span<const Node>(dependant_edges_).subspan(dependant_start_[node],
                                                           dependant_start_[node + 1] - dependant_start_[node]);
}

// A recursive depth-first walk, unrolled: `path` is the walk's stack of
// nodes (what a recursion would hold in its frames), `next` the position in
// each one's dependencies. A dependency met while it is on the path closes
// a cycle: the path from it to the top is that cycle.
std::vector<DependencyGraph::Node> DependencyGraph::order(std::span<const Node> roots,
                                                          const CycleVisitor& on_cycle) const {
    enum class Mark : unsigned char { None, OnPath, Done };
    const std::size_t n = size();
    std::vector<Mark> marks(n, Mark::None);
    std::vector<std::size_t> position(n, 0);  // of a node on the path
    std::vector<Node> path;
    std::vector<std::size_t> next;
    std::vector<Node> result;
    result.reserve(n);
    for (Node root : roots) {
        if (root >= n || marks[root] != Mark::None) continue;
        marks[root] = Mark::OnPath;
        position[root] = 0;
        path.push_back(root);
        next.push_back(0);
        while (!path.empty()) {
            const Node node = path.back();
            const auto deps = dependencies(node);
            if (next.back() < deps.size()) {
                const Node dep = deps[next.back()++];
                if (marks[dep] == Mark::OnPath) {
                    if (on_cycle) on_cycle(std::span<const Node>(path).subspan(position[dep]));
                } else if (marks[dep] == Mark::None) {
                    marks[dep] = Mark::OnPath;
                    position[dep] = path.size();
                    path.push_back(dep);
                    next.push_back(0);
                }
                continue;
            }
            marks[node] = Mark::Done;
            result.push_back(node);
            path.pop_back();
            next.pop_back();
        }
    }
    return result;
}

std::vector<DependencyGraph::Node> DependencyGraph::order(const CycleVisitor& on_cycle) const {
    std::vector<Node> roots(size());
    for (std::size_t i = 0; i < roots.size(); ++i) roots[i] = i;
    return order(roots, on_cycle);
}

// Breadth-first over the dependants: each node and edge once.
std::vector<bool> DependencyGraph::with_dependants(std::vector<bool> marked) const {
    marked.resize(size(), false);
    std::deque<Node> todo;
    for (std::size_t i = 0; i < marked.size(); ++i)
        if (marked[i]) todo.push_back(i);
    while (!todo.empty()) {
        const Node node = todo.front();
        todo.pop_front();
        for (Node dependant : dependants(node)) {
            if (marked[dependant]) continue;
            marked[dependant] = true;
            todo.push_back(dependant);
        }
    }
    return marked;
}

}  // namespace tend::config
