#include "tend/s6/s6rc.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <span>
#include <string_view>
#include <unordered_map>

#include "tend/config/dependency_graph.hpp"
#include "tend/config/duration.hpp"
#include "tend/config/file_reader.hpp"

namespace tend::s6 {
namespace {

namespace fs = std::filesystem;

enum class Kind {
    Longrun,
    Oneshot,
    Bundle,
    ContInit,       // base, fix-attrs, legacy-cont-init: met once cont-init.d has run
    AfterServices,  // legacy-services: met once services.d has started
    Unknown,
};

struct Definition {
    std::string name;
    fs::path dir;
    Kind kind = Kind::Unknown;
    std::vector<std::string> dependencies;
    std::vector<std::string> contents;  // bundles
    // s6-rc pipelines (longruns only): `producer-for` names the one service
    // that reads this one's stdout, `consumer-for` those whose stdout this
    // one reads, `pipeline-name` (on the last consumer) a bundle of them all.
    std::string producer_for;
    std::vector<std::string> consumer_for;
    std::string pipeline_name;
};

// s6-rc's definition files are small text files; a missing or unreadable one
// reads as empty. read_small_file, not std::ifstream: streams pull std::locale
// and all its facets into the static binary (bench/README.md, binary size).
constexpr std::size_t kMaxDefinitionFileBytes = 1 << 20;

std::string whole_file(const fs::path& file) {
    return config::read_small_file(file, kMaxDefinitionFileBytes).value_or(std::string());
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::string first_word(const fs::path& file) {
    const std::string content = whole_file(file);
    std::size_t begin = 0;
    while (begin < content.size() && is_space(content[begin])) ++begin;
    std::size_t end = begin;
    while (end < content.size() && !is_space(content[end])) ++end;
    return content.substr(begin, end - begin);
}

// Names from NAME.d/ (file names) and the NAME file (a name a line, # comments).
std::vector<std::string> names_of(const fs::path& dir, const std::string& what) {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir / (what + ".d"), error)) {
        std::string name = entry.path().filename().string();
        if (!name.empty() && name.front() != '.') names.push_back(name);
    }
    const std::string content = whole_file(dir / what);
    for (std::size_t start = 0; start < content.size();) {
        std::size_t newline = content.find('\n', start);
        if (newline == std::string::npos) newline = content.size();
        std::string line = content.substr(start, newline - start);
        start = newline + 1;
        auto hash = line.find('#');
        if (hash != std::string::npos) line.resize(hash);
        line.erase(0, line.find_first_not_of(" \t\r"));
        line.erase(line.find_last_not_of(" \t\r") + 1);
        if (!line.empty()) names.push_back(line);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

// timeout-up / timeout-down: absent or 0 is no limit. A bad value is
// warned about (naming the file) and means no limit, as if it were absent.
std::optional<std::chrono::milliseconds> read_timeout(const fs::path& file, std::vector<std::string>& warnings) {
    std::error_code error;
    if (!fs::exists(file, error)) return std::nullopt;
    std::string text = whole_file(file);
    text.erase(0, text.find_first_not_of(" \t\r\n"));
    text.erase(text.find_last_not_of(" \t\r\n") + 1);
    auto value = config::parse_duration(text);
    if (!value) {
        warnings.push_back(file.string() + ": '" + text + "' is not a timeout (" + value.error() + "); no limit");
        return std::nullopt;
    }
    if (value->count() == 0) return std::nullopt;
    return *value;
}

// s6-rc pipelines: every (producer, consumer) pair from either side's file
// (s6-rc-compile wants both; tend takes either), checked to be longruns; a
// producer depends on its consumer (s6-rc starts the consumer first and
// stops it last), and `pipeline-name` becomes a bundle of the whole
// pipeline. A pair tend cannot take is an error naming the file; both
// services then run on their own.
void link_pipelines(std::map<std::string, Definition>& definitions, S6rcPlan& plan) {
    std::map<std::string, std::string> consumer_of;  // producer -> consumer
    auto link = [&](const std::string& producer, const std::string& consumer, const fs::path& file) {
        auto p = definitions.find(producer);
        auto c = definitions.find(consumer);
        if (p == definitions.end() || c == definitions.end()) {
            plan.errors.push_back(file.string() + ": no service named '" +
                                  (p == definitions.end() ? producer : consumer) + "'; the pipeline is not made");
            return;
        }
        for (auto* end : {&p->second, &c->second})
            if (end->kind != Kind::Longrun) {
                plan.errors.push_back(file.string() + ": '" + end->name +
                                      "' is not a longrun; only longruns make a pipeline");
                return;
            }
        if (auto known = consumer_of.find(producer); known != consumer_of.end()) {
            if (known->second != consumer)
                plan.errors.push_back(file.string() + ": '" + producer + "' already writes to '" + known->second +
                                      "'; a producer has one consumer");
            return;
        }
        consumer_of[producer] = consumer;
        p->second.producer_for = consumer;
        auto& deps = p->second.dependencies;
        if (std::find(deps.begin(), deps.end(), consumer) == deps.end()) deps.push_back(consumer);
    };
    std::vector<std::pair<std::string, std::string>> pairs;  // from the files, checked by link()
    std::vector<fs::path> files;
    for (auto& [name, def] : definitions) {
        if (!def.producer_for.empty()) {
            pairs.emplace_back(name, def.producer_for);
            files.push_back(def.dir / "producer-for");
        }
        for (const auto& producer : def.consumer_for) {
            pairs.emplace_back(producer, name);
            files.push_back(def.dir / "consumer-for");
        }
        def.producer_for.clear();  // set again by link(), once checked
    }
    for (std::size_t i = 0; i < pairs.size(); ++i) link(pairs[i].first, pairs[i].second, files[i]);

    // pipeline-name: a bundle of the last consumer and every producer upstream.
    std::vector<Definition> bundles;
    for (const auto& [name, def] : definitions) {
        if (def.pipeline_name.empty()) continue;
        Definition bundle;
        bundle.name = def.pipeline_name;
        bundle.dir = def.dir / "pipeline-name";
        bundle.kind = Kind::Bundle;
        std::vector<std::string> todo{name};
        while (!todo.empty() && bundle.contents.size() < 256) {
            std::string member = todo.back();
            todo.pop_back();
            if (std::find(bundle.contents.begin(), bundle.contents.end(), member) != bundle.contents.end()) continue;
            bundle.contents.push_back(member);
            for (const auto& [producer, consumer] : consumer_of)
                if (consumer == member) todo.push_back(producer);
        }
        bundles.push_back(std::move(bundle));
    }
    for (auto& bundle : bundles) {
        if (definitions.contains(bundle.name)) {
            plan.errors.push_back(bundle.dir.string() + ": '" + bundle.name +
                                  "' names another service or bundle already; the pipeline has no bundle name");
            continue;
        }
        definitions.emplace(bundle.name, std::move(bundle));
    }
}

}  // namespace

S6rcPlan load_s6rc(const fs::path& overlay_dir) {
    S6rcPlan plan;
    const fs::path source = overlay_dir / "s6-rc.d";
    std::error_code error;
    if (!fs::is_directory(source, error)) return plan;
    plan.present = true;

    std::map<std::string, Definition> definitions;
    for (const auto& entry : fs::directory_iterator(source, error)) {
        std::error_code ignored;
        std::string name = entry.path().filename().string();
        if (name.empty() || name.front() == '.' || !entry.is_directory(ignored)) continue;
        Definition def;
        def.name = name;
        def.dir = entry.path();
        std::string type = first_word(entry.path() / "type");
        if (type == "longrun") def.kind = Kind::Longrun;
        else if (type == "oneshot") def.kind = Kind::Oneshot;
        else if (type == "bundle") def.kind = Kind::Bundle;
        // s6-overlay (rc.init) makes `user` and `user2` bundles when they have no type.
        else if (type.empty() && (name == "user" || name == "user2")) def.kind = Kind::Bundle;
        else {
            plan.errors.push_back((entry.path() / "type").string() + ": " +
                                  (type.empty() ? std::string("missing") : "unknown type '" + type + "'") +
                                  " (longrun, oneshot or bundle)");
            continue;
        }
        def.dependencies = names_of(entry.path(), "dependencies");
        if (def.kind == Kind::Bundle) def.contents = names_of(entry.path(), "contents");
        def.producer_for = first_word(entry.path() / "producer-for");
        def.consumer_for = names_of(entry.path(), "consumer-for");
        def.pipeline_name = first_word(entry.path() / "pipeline-name");
        definitions.emplace(name, std::move(def));
    }
    link_pipelines(definitions, plan);
    // user-bundles.d (s6-overlay >= 3.2.3.2) wins over s6-rc.d/user.
    for (const char* bundle : {"user", "user2"}) {
        fs::path dir = overlay_dir / "user-bundles.d" / bundle;
        if (!fs::is_directory(dir, error)) continue;
        Definition def;
        def.name = bundle;
        def.dir = dir;
        def.kind = Kind::Bundle;
        def.contents = names_of(dir, "contents");
        definitions[bundle] = std::move(def);
    }
    // s6-overlay's own names: `user` and `user2` exist even when empty;
    // base, fix-attrs and legacy-cont-init are met once cont-init.d has run;
    // legacy-services once services.d is started.
    for (const char* bundle : {"user", "user2"})
        if (!definitions.contains(bundle)) definitions[bundle] = Definition{bundle, source / bundle, Kind::Bundle, {}, {}, {}, {}, {}};
    for (const char* name : {"base", "fix-attrs", "legacy-cont-init", "legacy-services"}) {
        if (definitions.contains(name))
            plan.warnings.push_back((source / name).string() + ": '" + name +
                                    "' is s6-overlay's own name; tend uses its meaning, not this definition");
        definitions[name] = Definition{name, source / name,
                                       std::string_view(name) == "legacy-services" ? Kind::AfterServices : Kind::ContInit,
                                       {}, {}, {}, {}, {}};
    }

    // The definitions by name (the map's order) are the nodes of the
    // dependency graph below; every walk is iterative (tend is PID 1: a
    // long chain of definitions must not grow its stack).
    std::vector<const Definition*> nodes;
    std::unordered_map<std::string_view, std::size_t> index_of;
    nodes.reserve(definitions.size());
    for (const auto& [name, def] : definitions) {
        index_of.emplace(name, nodes.size());
        nodes.push_back(&def);
    }
    const std::size_t count = nodes.size();

    // What to start: the members of user and user2, bundles expanded, plus
    // every dependency, transitively. `in_user` remembers what user (rather
    // than only user2) brings: user2 starts after services.d. Depth first,
    // members before dependencies, each in name order (so the errors come
    // in that order).
    std::vector<bool> wanted(count, false);
    std::vector<bool> in_user(count, false);
    std::set<std::pair<std::size_t, bool>> bundles_seen;
    struct Want {
        const std::string* name;
        const Definition* from;  // whose contents or dependencies name it; nullptr for a root
        bool from_contents;
    };
    auto want = [&](const std::string& root, bool user) {
        std::vector<Want> todo{{&root, nullptr, false}};
        while (!todo.empty()) {
            const Want item = todo.back();
            todo.pop_back();
            auto found = index_of.find(*item.name);
            if (found == index_of.end()) {
                const std::string from = item.from == nullptr ? (source / *item.name).string()
                                         : (item.from->dir / (item.from_contents ? "contents.d" : "dependencies.d"))
                                               .string();
                plan.errors.push_back(from + ": no service or bundle named '" + *item.name + "'");
                continue;
            }
            const std::size_t node = found->second;
            const Definition& def = *nodes[node];
            if (def.kind == Kind::ContInit || def.kind == Kind::AfterServices) continue;
            if (def.kind == Kind::Bundle && !bundles_seen.insert({node, user}).second) continue;
            if (def.kind != Kind::Bundle) {
                if (wanted[node] && (!user || in_user[node])) continue;
                wanted[node] = true;
                if (user) in_user[node] = true;
            }
            for (auto dep = def.dependencies.rbegin(); dep != def.dependencies.rend(); ++dep)
                todo.push_back({&*dep, &def, false});
            if (def.kind == Kind::Bundle)
                for (auto member = def.contents.rbegin(); member != def.contents.rend(); ++member)
                    todo.push_back({&*member, &def, true});
        }
    };
    want("user", true);
    want("user2", false);

    // Dependencies through bundles, flattened to atomic services and the
    // two built-in moments (ContInit ones are dropped: always met), in name
    // order, once per definition.
    std::vector<std::vector<std::size_t>> atoms(count);
    {
        std::vector<std::size_t> bundle_seen_by(count, count);  // the node whose dependencies met it
        std::vector<const std::string*> todo;
        for (std::size_t node = 0; node < count; ++node) {
            for (const auto& dep : nodes[node]->dependencies) todo.push_back(&dep);
            auto& out = atoms[node];
            while (!todo.empty()) {
                const std::string* name = todo.back();
                todo.pop_back();
                auto found = index_of.find(*name);
                if (found == index_of.end()) continue;
                const Definition& def = *nodes[found->second];
                if (def.kind == Kind::ContInit) continue;
                if (def.kind == Kind::Bundle) {
                    if (bundle_seen_by[found->second] == node) continue;
                    bundle_seen_by[found->second] = node;
                    for (const auto& member : def.contents) todo.push_back(&member);
                    continue;
                }
                out.push_back(found->second);
            }
            std::sort(out.begin(), out.end());
            out.erase(std::unique(out.begin(), out.end()), out.end());
        }
    }
    auto kind_of = [&](std::size_t node) { return nodes[node]->kind; };

    // The oneshots' graph: each definition depends on the oneshots among
    // its atoms (longruns and legacy-services are waited for otherwise).
    std::vector<std::vector<std::size_t>> oneshot_dependencies(count);
    for (std::size_t node = 0; node < count; ++node)
        for (std::size_t dep : atoms[node])
            if (kind_of(dep) == Kind::Oneshot) oneshot_dependencies[node].push_back(dep);
    const config::DependencyGraph graph(oneshot_dependencies);
    oneshot_dependencies = {};

    // Oneshots in dependency order (depth-first, by name for determinism).
    // A cycle is an error naming the oneshot it came back to; that one and
    // every oneshot that depends on it, directly or through others, is refused.
    std::vector<std::size_t> roots;
    for (std::size_t node = 0; node < count; ++node)
        if (wanted[node] && kind_of(node) == Kind::Oneshot) roots.push_back(node);
    std::vector<bool> cycle_closers(count, false);
    const auto order = graph.order(roots, [&](std::span<const std::size_t> path) {
        plan.errors.push_back((nodes[path.front()]->dir / "dependencies.d").string() + ": dependency cycle through '" +
                              nodes[path.front()]->name + "'");
        cycle_closers[path.front()] = true;
    });
    const std::vector<bool> refused = graph.with_dependants(std::move(cycle_closers));

    // A oneshot is late when it must wait for services: it depends on a
    // longrun or on legacy-services (directly or through another oneshot),
    // or only user2 wants it. Late ones run once the services have started.
    std::vector<bool> waits_for_services(count, false);
    for (std::size_t node = 0; node < count; ++node) {
        if (kind_of(node) != Kind::Oneshot) continue;
        waits_for_services[node] = !in_user[node];
        for (std::size_t dep : atoms[node])
            if (kind_of(dep) == Kind::Longrun || kind_of(dep) == Kind::AfterServices) waits_for_services[node] = true;
    }
    const std::vector<bool> late = graph.with_dependants(std::move(waits_for_services));

    for (std::size_t node : order) {
        if (refused[node]) continue;
        const Definition& def = *nodes[node];
        S6rcOneshot oneshot;
        for (std::size_t dep : atoms[node]) {
            if (kind_of(dep) == Kind::Longrun) oneshot.after_services.push_back(nodes[dep]->name);
            if (kind_of(dep) == Kind::AfterServices) oneshot.after_legacy_services = true;
        }
        std::error_code ignored;
        fs::path down = def.dir / "down";
        oneshot.name = def.name;
        oneshot.up = def.dir / "up";
        oneshot.down = fs::exists(down, ignored) ? down : fs::path{};
        oneshot.timeout_up = read_timeout(def.dir / "timeout-up", plan.warnings);
        oneshot.timeout_down = read_timeout(def.dir / "timeout-down", plan.warnings);
        (late[node] ? plan.late_oneshots : plan.oneshots).push_back(std::move(oneshot));
    }

    for (std::size_t node = 0; node < count; ++node) {
        const Definition& def = *nodes[node];
        if (!wanted[node] || def.kind != Kind::Longrun) continue;
        S6rcLongrun longrun{def.name, def.dir, {}, !in_user[node], def.producer_for};
        std::string problem;
        for (std::size_t dep : atoms[node]) {
            const Kind kind = kind_of(dep);
            if (kind == Kind::Longrun) longrun.depends.push_back(nodes[dep]->name);
            else if (kind == Kind::AfterServices) longrun.after_legacy_services = true;
            else if (refused[dep]) problem = "a oneshot it depends on is refused";
            else if (late[dep])
                problem = "it depends on oneshot '" + nodes[dep]->name +
                          "', which runs only after the services have started (it waits for a longrun, for "
                          "legacy-services or for user2); tend cannot start a longrun after it";
        }
        if (!problem.empty()) {
            plan.errors.push_back(def.dir.string() + ": not started: " + problem);
            continue;
        }
        plan.longruns.push_back(std::move(longrun));
    }
    return plan;
}

}  // namespace tend::s6
