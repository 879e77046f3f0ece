// Proves: docs/control.md
// The control socket, `tend ctl` and `tend health`, against tend as
// PID 1. Clients run on the host: the socket lives in the sandbox's run/ dir,
// which the PID namespace shares. Pids in replies are the namespace's, so
// services write their own $$ for comparison.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "control_client.hpp"
#include "harness.hpp"

namespace tend::itest {
namespace {

// ---- a small JSON reader, enough to check `status --json` ----------------

struct Json;
using JsonObject = std::map<std::string, Json>;
struct Json {
    enum class Kind { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
    bool boolean = false;
    double number = 0;
    std::string text;
    std::vector<Json> items;
    JsonObject fields;
};

class JsonParser {
public:
    explicit JsonParser(std::string_view text) : text_(text) {}
    std::optional<Json> parse_document() {
        auto value = parse();
        skip();
        if (!value || pos_ != text_.size()) return std::nullopt;
        return value;
    }

private:
    void skip() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    bool literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }
    std::optional<std::string> string() {
        if (pos_ >= text_.size() || text_[pos_] != '"') return std::nullopt;
        std::string out;
        for (++pos_; pos_ < text_.size(); ++pos_) {
            char c = text_[pos_];
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (c == '\\') {
                if (++pos_ >= text_.size()) return std::nullopt;
                char e = text_[pos_];
                if (e == 'u') {
                    if (pos_ + 4 >= text_.size()) return std::nullopt;
                    out += static_cast<char>(std::stoi(std::string(text_.substr(pos_ + 1, 4)), nullptr, 16));
                    pos_ += 4;
                } else {
                    out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
                }
            } else {
                out += c;
            }
        }
        return std::nullopt;
    }
    std::optional<Json> parse() {
        skip();
        if (pos_ >= text_.size()) return std::nullopt;
        Json value;
        char c = text_[pos_];
        if (literal("null")) return value;
        if (literal("true") || literal("false")) {
            value.kind = Json::Kind::Bool;
            value.boolean = text_[pos_ - 1] == 'e' && text_[pos_ - 2] == 'u';
            return value;
        }
        if (c == '"') {
            auto s = string();
            if (!s) return std::nullopt;
            value.kind = Json::Kind::String;
            value.text = *s;
            return value;
        }
        if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
            std::size_t end = pos_ + 1;
            while (end < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[end])) || text_[end] == '.')) ++end;
            value.kind = Json::Kind::Number;
            value.number = std::stod(std::string(text_.substr(pos_, end - pos_)));
            pos_ = end;
            return value;
        }
        if (c == '[' || c == '{') {
            bool object = c == '{';
            value.kind = object ? Json::Kind::Object : Json::Kind::Array;
            ++pos_;
            skip();
            if (pos_ < text_.size() && text_[pos_] == (object ? '}' : ']')) {
                ++pos_;
                return value;
            }
            for (;;) {
                skip();
                std::string key;
                if (object) {
                    auto k = string();
                    skip();
                    if (!k || !literal(":")) return std::nullopt;
                    key = *k;
                }
                auto item = parse();
                if (!item) return std::nullopt;
                if (object)
                    value.fields[key] = *item;
                else
                    value.items.push_back(*item);
                skip();
                if (literal(",")) continue;
                if (literal(object ? "}" : "]")) return value;
                return std::nullopt;
            }
        }
        return std::nullopt;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

const Json* service_in(const Json& document, std::string_view name) {
    auto it = document.fields.find("services");
    if (it == document.fields.end()) return nullptr;
    for (const auto& item : it->second.items) {
        auto n = item.fields.find("name");
        if (n != item.fields.end() && n->second.text == name) return &item;
    }
    return nullptr;
}

std::optional<Json> status_json(const Sandbox& sandbox) {
    auto result = ctl(sandbox, {"status", "--json"});
    if (result.code != 0) return std::nullopt;
    return JsonParser(result.out).parse_document();
}

// The namespace pid `status` reports for a service, 0 when none.
long status_pid(const Sandbox& sandbox, std::string_view name) {
    auto document = status_json(sandbox);
    if (!document) return -1;
    const Json* service = service_in(*document, name);
    if (!service) return -1;
    const Json& pid = service->fields.at("pid");
    return pid.kind == Json::Kind::Number ? static_cast<long>(pid.number) : 0;
}

std::string status_state(const Sandbox& sandbox, std::string_view name) {
    auto document = status_json(sandbox);
    if (!document) return "<no status>";
    const Json* service = service_in(*document, name);
    return service ? service->fields.at("state").text : "<no service>";
}

// A service that writes its pid (namespace view) to $OUT/<name>.pid.<n>, one
// file per life, and then sleeps.
std::string pid_writing_run(std::string_view name) {
    return fmt::format("n=1; while [ -e \"$OUT/{0}.pid.$n\" ]; do n=$((n+1)); done\n"
                       "echo $$ > \"$OUT/{0}.pid.$n\"\nexec sleep 1000\n",
                       name);
}

long read_pid(const Sandbox& sandbox, std::string_view name, int life) {
    auto text = read_file(sandbox.out(fmt::format("{}.pid.{}", name, life)));
    return text.empty() ? 0 : std::stol(text);
}

// tend's one timerfd, as /proc shows it: "it_value: (0, 0)" when disarmed.
std::optional<bool> timer_armed(pid_t pid) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(fmt::format("/proc/{}/fd", pid), ec)) {
        std::error_code link_ec;
        if (fs::read_symlink(entry.path(), link_ec).string() != "anon_inode:[timerfd]") continue;
        std::string info = read_file(fmt::format("/proc/{}/fdinfo/{}", pid, entry.path().filename().string()));
        return !contains(info, "it_value: (0, 0)");
    }
    return std::nullopt;
}

// How many sockets pid holds open: its listening socket plus one per accepted
// connection (what a client's connect() cannot tell: the kernel completes it
// before tend accepts).
std::size_t open_sockets(pid_t pid) {
    std::size_t count = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(fmt::format("/proc/{}/fd", pid), ec)) {
        std::error_code link_ec;
        if (fs::read_symlink(entry.path(), link_ec).string().starts_with("socket:")) ++count;
    }
    return count;
}

// True when tend has closed its end of fd's connection (EOF or an error waits).
bool closed_by_peer(int fd) {
    pollfd entry{.fd = fd, .events = POLLIN | POLLRDHUP, .revents = 0};
    return ::poll(&entry, 1, 0) == 1;
}

}  // namespace

TEST(Control, StatusTableAndJsonMatchTheServices) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run(pid_writing_run("web"));
    sandbox.service("crash").run("exit 78\n");
    sandbox.service("idle").flag("down").run("exec sleep 1000\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("web.pid.1")));
    ASSERT_TRUE(wait_for_socket(sandbox)) << tend.current_err();

    struct stat st{};
    ASSERT_EQ(::stat(socket_path(sandbox).c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0600u);

    auto table = ctl(sandbox, {"status"});
    ASSERT_EQ(table.code, 0) << table.diagnostics();
    EXPECT_TRUE(contains(table.out, "NAME")) << table.out;
    EXPECT_FALSE(lines_containing(table.out, "web").empty());
    EXPECT_TRUE(contains(lines_containing(table.out, "web").front(), "running")) << table.out;
    EXPECT_TRUE(contains(lines_containing(table.out, "idle").front(), "down")) << table.out;

    ASSERT_TRUE(wait_until([&] { return contains(ctl(sandbox, {"status", "crash"}).out, "exited with code 78"); }));
    auto json = ctl(sandbox, {"status", "--json"});
    ASSERT_EQ(json.code, 0) << json.diagnostics();
    auto document = JsonParser(json.out).parse_document();
    ASSERT_TRUE(document) << "not JSON: " << json.out;
    ASSERT_EQ(document->fields.at("services").items.size(), 3u);
    const Json* web = service_in(*document, "web");
    ASSERT_NE(web, nullptr);
    EXPECT_EQ(web->fields.at("state").text, "running");
    EXPECT_EQ(static_cast<long>(web->fields.at("pid").number), read_pid(sandbox, "web", 1));
    EXPECT_TRUE(web->fields.at("ready").boolean);
    EXPECT_EQ(web->fields.at("restarts").number, 0);
    EXPECT_EQ(web->fields.at("uptime_ms").kind, Json::Kind::Number);
    const Json* crash = service_in(*document, "crash");
    ASSERT_NE(crash, nullptr);
    EXPECT_EQ(crash->fields.at("last_exit").text, "exited with code 78");
    const Json* idle = service_in(*document, "idle");
    ASSERT_NE(idle, nullptr);
    EXPECT_EQ(idle->fields.at("state").text, "down");
    EXPECT_EQ(idle->fields.at("pid").kind, Json::Kind::Null);

    auto unknown = ctl(sandbox, {"status", "nope"});
    EXPECT_EQ(unknown.code, 1);
    EXPECT_TRUE(contains(unknown.err, "no service named 'nope'")) << unknown.diagnostics();
    auto usage = ctl(sandbox, {"frobnicate"});
    EXPECT_EQ(usage.code, 2) << usage.diagnostics();

    tend.signal(SIGTERM);
    auto result = tend.wait();
    EXPECT_EQ(result.exit_code, 0) << result.diagnostics();
    EXPECT_FALSE(fs::exists(socket_path(sandbox))) << "the socket must go at exit";
}

// A user types the client's option where it comes to mind: after the
// command as well as before it.
TEST(Control, RuntimeDirMayFollowTheCommand) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run(pid_writing_run("web"));
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("web.pid.1")));
    ASSERT_TRUE(wait_for_socket(sandbox)) << tend.current_err();
    auto after = run_client({"ctl", "status", "web", "--runtime-dir", sandbox.runtime_dir().string()});
    ASSERT_EQ(after.code, 0) << after.diagnostics();
    EXPECT_TRUE(contains(lines_containing(after.out, "web").front(), "running")) << after.out;
    auto equals = run_client({"ctl", "status", "--runtime-dir=" + sandbox.runtime_dir().string()});
    EXPECT_EQ(equals.code, 0) << equals.diagnostics();
}

TEST(Control, StopStartRestartChangePidsAndHealthFollows) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run(pid_writing_run("web"));
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("web.pid.1")));
    ASSERT_TRUE(wait_for_socket(sandbox)) << tend.current_err();
    ASSERT_TRUE(wait_until([&] { return health(sandbox).code == 0; })) << health(sandbox).diagnostics();
    EXPECT_EQ(status_pid(sandbox, "web"), read_pid(sandbox, "web", 1));

    auto stop = ctl(sandbox, {"stop", "web"});
    EXPECT_EQ(stop.code, 0) << stop.diagnostics();
    ASSERT_TRUE(wait_until([&] { return status_state(sandbox, "web") == "down"; }));
    auto sick = health(sandbox);
    EXPECT_EQ(sick.code, 1);
    EXPECT_TRUE(contains(sick.err + sick.out, "web: stopped")) << sick.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("web.pid.2"))) << "a stopped service stays down";

    auto start = ctl(sandbox, {"start", "web"});
    EXPECT_EQ(start.code, 0) << start.diagnostics();
    ASSERT_TRUE(wait_for_file(sandbox.out("web.pid.2")));
    EXPECT_NE(read_pid(sandbox, "web", 2), read_pid(sandbox, "web", 1));
    ASSERT_TRUE(wait_until([&] { return status_pid(sandbox, "web") == read_pid(sandbox, "web", 2); }));
    EXPECT_TRUE(wait_until([&] { return health(sandbox).code == 0; }));

    auto restart = ctl(sandbox, {"restart", "web"});
    EXPECT_EQ(restart.code, 0) << restart.diagnostics();
    ASSERT_TRUE(wait_for_file(sandbox.out("web.pid.3")));
    ASSERT_TRUE(wait_until([&] { return status_pid(sandbox, "web") == read_pid(sandbox, "web", 3); }));

    // restart of a down service starts it.
    ASSERT_EQ(ctl(sandbox, {"stop", "web"}).code, 0);
    ASSERT_TRUE(wait_until([&] { return status_state(sandbox, "web") == "down"; }));
    auto restart_down = ctl(sandbox, {"restart", "web"});
    EXPECT_EQ(restart_down.code, 0) << restart_down.diagnostics();
    EXPECT_TRUE(wait_for_file(sandbox.out("web.pid.4")));
    EXPECT_TRUE(wait_until([&] { return health(sandbox).code == 0; }));
    tend.signal(SIGTERM);
    EXPECT_EQ(tend.wait().exit_code, 0);
}

TEST(Control, HealthFlipsWhileAServiceCrashLoopsAndBack) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("php-fpm").run("echo up > \"$OUT/up\"\n[ -e \"$OUT/broken\" ] && exit 78\nexec sleep 1000\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("up")));
    ASSERT_TRUE(wait_for_socket(sandbox)) << tend.current_err();
    ASSERT_TRUE(wait_until([&] { return health(sandbox).code == 0; }));

    write_file(sandbox.out("broken"), "yes\n");
    auto kill = ctl(sandbox, {"signal", "php-fpm", "KILL"});
    EXPECT_EQ(kill.code, 0) << kill.diagnostics();
    CtlResult sick;
    ASSERT_TRUE(wait_until([&] {
        sick = health(sandbox);
        return sick.code == 1 && contains(sick.err + sick.out, "exited with code 78");
    })) << sick.diagnostics();
    EXPECT_TRUE(contains(sick.err + sick.out, "php-fpm: backoff, exited with code 78, restart in")) << sick.diagnostics();

    fs::remove(sandbox.out("broken"));
    EXPECT_TRUE(wait_until([&] { return health(sandbox).code == 0; }, 20s)) << health(sandbox).diagnostics();
    tend.signal(SIGTERM);
    tend.wait();
}

TEST(Control, SignalGoesToTheProcessGroup) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    // Both the main shell and its child report the signal: it reached the group.
    sandbox.service("svc").run(
        "trap 'echo > \"$OUT/main.usr1\"' USR1\n"
        "sh -c 'trap \"echo > \\\"$0/child.usr1\\\"\" USR1; echo > \"$0/child.up\"; while :; do sleep 0.05; done' "
        "\"$OUT\" &\nwhile :; do wait; done\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("child.up")));
    ASSERT_TRUE(wait_for_socket(sandbox));
    auto sent = ctl(sandbox, {"signal", "svc", "SIGUSR1"});
    EXPECT_EQ(sent.code, 0) << sent.diagnostics();
    EXPECT_TRUE(contains(sent.out, "SIGUSR1")) << sent.diagnostics();
    EXPECT_TRUE(wait_for_file(sandbox.out("child.usr1")));
    EXPECT_TRUE(wait_for_file(sandbox.out("main.usr1")));
    EXPECT_EQ(ctl(sandbox, {"signal", "svc", "NOSUCH"}).code, 2);
    tend.signal(SIGTERM);
    tend.wait();
}

TEST(Control, HaltExitsWithTheCodeGiven) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run(sh_stoppable_service());
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("svc.up")));
    ASSERT_TRUE(wait_for_socket(sandbox));
    auto halt = ctl(sandbox, {"halt", "7"});
    EXPECT_EQ(halt.code, 0) << halt.diagnostics();
    auto result = tend.wait();
    EXPECT_EQ(result.exit_code, 7) << result.diagnostics();
    EXPECT_TRUE(contains(result.err, "shutting down: tend ctl halt from uid 0")) << result.err;
    EXPECT_TRUE(file_exists(sandbox.out("svc.stopped"))) << "a halt is a graceful shutdown";
}

TEST(Control, HaltWithoutCodeExitsZeroEvenWithACmdRunning) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    TendOptions options{.command = sandbox.sh("echo up > \"$OUT/cmd.up\"; exec sleep 1000")};
    TendProcess tend(sandbox, options);
    ASSERT_TRUE(wait_for_file(sandbox.out("cmd.up")));
    ASSERT_TRUE(wait_for_socket(sandbox));
    EXPECT_EQ(ctl(sandbox, {"halt"}).code, 0);
    auto result = tend.wait();
    EXPECT_EQ(result.exit_code, 0) << result.diagnostics();
}

TEST(Control, StopOfThePrimaryOrADependency) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("main").flag("primary").run("exec sleep 1000\n");
    sandbox.service("db").run("echo > \"$OUT/db.up\"\nexec sleep 1000\n");
    sandbox.service("app").line("depends", "db").run("echo > \"$OUT/app.up\"\nexec sleep 1000\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("app.up")));
    ASSERT_TRUE(wait_for_socket(sandbox));
    auto primary = ctl(sandbox, {"stop", "main"});
    EXPECT_EQ(primary.code, 1) << primary.diagnostics();
    EXPECT_TRUE(contains(primary.err, "use `tend ctl halt`")) << primary.diagnostics();
    auto dependency = ctl(sandbox, {"stop", "db"});
    EXPECT_EQ(dependency.code, 0) << dependency.diagnostics();
    EXPECT_TRUE(contains(dependency.out, "dependants keep running: app")) << dependency.diagnostics();
    ASSERT_TRUE(wait_until([&] { return status_state(sandbox, "db") == "down"; }));
    EXPECT_EQ(status_state(sandbox, "app"), "running");
    tend.signal(SIGTERM);
    tend.wait();
}

TEST(Control, WaitReadyWaitsForReadinessAndTimesOut) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("slow").line("notification-fd", "3").run(sh_wait_for_file("\"$OUT/go\"", 30) + "echo >&3\nexec sleep 1000\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_socket(sandbox));
    auto early = ctl(sandbox, {"wait-ready", "slow", "--timeout", "100"});
    EXPECT_EQ(early.code, 1) << early.diagnostics();
    EXPECT_TRUE(contains(early.err, "slow: running, not ready")) << early.diagnostics();
    EXPECT_EQ(health(sandbox).code, 1);

    // The waiting request is the only deadline tend has: once the timer is
    // armed, the client waits, and only then does the service become ready.
    pid_t pid = tend.tend_pid();
    ASSERT_TRUE(wait_until([&] { return timer_armed(pid) == false; }));
    CtlResult waited;
    std::thread waiter([&] { waited = ctl(sandbox, {"wait-ready", "--timeout", "15000"}); });
    EXPECT_TRUE(wait_until([&] { return timer_armed(pid) == true; }));
    write_file(sandbox.out("go"), "go\n");
    waiter.join();
    EXPECT_EQ(waited.code, 0) << waited.diagnostics();
    EXPECT_EQ(health(sandbox).code, 0);
    EXPECT_EQ(ctl(sandbox, {"wait-ready", "nope"}).code, 1);
    tend.signal(SIGTERM);
    tend.wait();
}

TEST(Control, LogLevelChangesTendsVerbosity) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run(sh_stoppable_service());
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("svc.up")));
    ASSERT_TRUE(wait_for_socket(sandbox));
    EXPECT_FALSE(contains(tend.current_err(), "debug:"));
    EXPECT_EQ(ctl(sandbox, {"log-level", "3"}).code, 0);
    EXPECT_EQ(ctl(sandbox, {"log-level", "9"}).code, 2);
    tend.signal(SIGTERM);
    auto result = tend.wait();
    EXPECT_TRUE(contains(result.err, "tend: debug:")) << result.err;
}

TEST(Control, PeersOtherThanRootOrTendsUidAreRefused) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run("exec sleep 1000\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_socket(sandbox));
    fs::path binary = sandbox.root() / "tend-client";
    fs::copy_file(tend_binary(), binary);
    ::chmod(binary.c_str(), 0755);
    auto nobody = run_client({"ctl", "--runtime-dir", sandbox.runtime_dir().string(), "status"},
                             {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}, binary);
    EXPECT_EQ(nobody.code, 3) << nobody.diagnostics();
    EXPECT_TRUE(contains(nobody.err, "permission denied")) << nobody.diagnostics();
    EXPECT_TRUE(contains(nobody.err, socket_path(sandbox).string())) << nobody.diagnostics();
    auto nobody_health = run_client({"health", "--runtime-dir", sandbox.runtime_dir().string()},
                                    {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}, binary);
    EXPECT_EQ(nobody_health.code, 1) << nobody_health.diagnostics();
    tend.signal(SIGTERM);
    tend.wait();
}

TEST(Control, ControlGroupMembersAreLetIn) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run("exec sleep 1000\n");
    fs::path runtime = sandbox.root() / "grouprun";  // created by tend: 0750, group 65534
    TendProcess tend(sandbox, {.args = {"--runtime-dir", runtime.string(), "--control-group", "65534"}});
    fs::path binary = sandbox.root() / "tend-client";
    fs::copy_file(tend_binary(), binary);
    ::chmod(binary.c_str(), 0755);
    ASSERT_TRUE(wait_until([&] { return fs::exists(runtime / "control.sock"); })) << tend.current_err();
    struct stat st{};
    ASSERT_EQ(::stat(runtime.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    EXPECT_EQ(st.st_gid, 65534u);
    ASSERT_EQ(::stat((runtime / "control.sock").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0660u);
    EXPECT_EQ(st.st_gid, 65534u);
    // Member by primary gid.
    auto member = run_client({"ctl", "--runtime-dir", runtime.string(), "status"},
                             {"/usr/bin/setpriv", "--reuid=4242", "--regid=65534", "--clear-groups"}, binary);
    EXPECT_EQ(member.code, 0) << member.diagnostics();
    // Member by a supplementary group (SO_PEERGROUPS).
    auto supplementary = run_client({"ctl", "--runtime-dir", runtime.string(), "status"},
                                    {"/usr/bin/setpriv", "--reuid=4242", "--regid=4242", "--groups=65534"}, binary);
    EXPECT_EQ(supplementary.code, 0) << supplementary.diagnostics();
    auto outsider = run_client({"ctl", "--runtime-dir", runtime.string(), "status"},
                               {"/usr/bin/setpriv", "--reuid=4242", "--regid=4242", "--clear-groups"}, binary);
    EXPECT_EQ(outsider.code, 3) << outsider.diagnostics();
    tend.signal(SIGTERM);
    tend.wait();
}

TEST(Control, MisbehavingClientsNeverStopTend) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run("exec sleep 1000\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_socket(sandbox));

    // Silent and half-sent clients stay connected while others are served.
    int silent = raw_connect(sandbox);
    int half = raw_connect(sandbox);
    ASSERT_GE(silent, 0);
    ASSERT_GE(half, 0);
    send_all(half, "tend-ctl/1 sta");
    // A slow client: a byte at a time, never finishing its line in time.
    int slow = raw_connect(sandbox);
    ASSERT_GE(slow, 0);
    std::thread slow_writer([slow] {
        for (char c : std::string("tend-ctl/1 status --json and more words than it will ever finish")) {
            if (::send(slow, &c, 1, MSG_NOSIGNAL) != 1) return;
            std::this_thread::sleep_for(100ms);
        }
    });
    EXPECT_EQ(ctl(sandbox, {"status"}).code, 0);

    // Garbage gets a usage reply.
    int garbage = raw_connect(sandbox);
    send_all(garbage, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    auto garbage_reply = read_until_eof(garbage);
    ASSERT_TRUE(garbage_reply);
    EXPECT_TRUE(garbage_reply->starts_with("tend-ctl/1 2\n")) << *garbage_reply;
    ::close(garbage);

    // Another version gets told so.
    int future = raw_connect(sandbox);
    send_all(future, "tend-ctl/9 status\n");
    auto future_reply = read_until_eof(future);
    ASSERT_TRUE(future_reply);
    EXPECT_TRUE(contains(*future_reply, "version 9 is not supported")) << *future_reply;
    ::close(future);

    // 1 MB without a newline: refused once 4 KiB are in, connection closed.
    int huge = raw_connect(sandbox);
    std::thread huge_writer([huge] { send_all(huge, std::string(1 << 20, 'x')); });
    auto huge_reply = read_until_eof(huge);
    huge_writer.join();
    ASSERT_TRUE(huge_reply) << "tend never closed the oversized request";
    EXPECT_TRUE(contains(*huge_reply, "request too large")) << *huge_reply;
    ::close(huge);

    // The silent, half-sent and slow clients are told so and dropped at their deadline.
    for (int fd : {silent, half, slow}) {
        auto reply = read_until_eof(fd);
        ASSERT_TRUE(reply) << "tend never closed a client that sent no whole request";
        EXPECT_TRUE(contains(*reply, "no complete request within 2000 ms")) << *reply;
    }
    slow_writer.join();
    ::close(silent);
    ::close(half);
    ::close(slow);

    // A client that leaves before its reply harms nothing.
    for (int i = 0; i < 20; ++i) {
        int rude = raw_connect(sandbox);
        send_all(rude, "tend-ctl/1 status --json\n");
        ::close(rude);
    }
    EXPECT_EQ(ctl(sandbox, {"status"}).code, 0);
    EXPECT_TRUE(tend.running());
    tend.signal(SIGTERM);
    EXPECT_EQ(tend.wait().exit_code, 0);
}

TEST(Control, AHundredClientsAtOnceAreAllServed) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run("exec sleep 1000\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_socket(sandbox));
    std::vector<int> clients;
    for (int i = 0; i < 100; ++i) {
        int fd = raw_connect(sandbox);
        ASSERT_GE(fd, 0) << "connection " << i;
        clients.push_back(fd);
    }
    for (int fd : clients) send_all(fd, "tend-ctl/1 status web\n");
    int served = 0;
    for (int fd : clients) {
        auto reply = read_until_eof(fd);
        if (reply && reply->starts_with("tend-ctl/1 0\n") && contains(*reply, "web")) ++served;
        ::close(fd);
    }
    EXPECT_EQ(served, 100);
    tend.signal(SIGTERM);
    tend.wait();
}

TEST(Control, ReadOnlyRuntimeDirTurnsControlOffAndServicesRun) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run("echo up > \"$OUT/up\"\nexec sleep 1000\n");
    fs::path readonly = sandbox.root() / "ro";
    fs::create_directories(readonly);
    TendOptions options{.args = {"--runtime-dir", (readonly / "tend").string()}};
    options.launcher_script = fmt::format("mount --bind {0} {0} && mount -o remount,ro,bind {0} && exec \"$@\"",
                                          shell_quote(readonly.string()));
    TendProcess tend(sandbox, options);
    ASSERT_TRUE(wait_for_file(sandbox.out("up"))) << tend.current_err();
    ASSERT_TRUE(tend.wait_for_err("control is off")) << tend.current_err();
    auto off = lines_containing(tend.current_err(), "control is off");
    ASSERT_EQ(off.size(), 1u);
    EXPECT_TRUE(contains(off.front(), "tend: info: control is off: cannot create")) << off.front();
    EXPECT_TRUE(contains(off.front(), "Read-only file system")) << off.front();
    auto sick = run_client({"health", "--runtime-dir", (readonly / "tend").string()});
    EXPECT_EQ(sick.code, 1);
    EXPECT_TRUE(contains(sick.err, "control is off")) << sick.diagnostics();
    EXPECT_TRUE(contains(sick.err, "tmpfs")) << sick.diagnostics();
    auto unreachable = run_client({"ctl", "--runtime-dir", (readonly / "tend").string(), "status"});
    EXPECT_EQ(unreachable.code, 3);
    EXPECT_TRUE(contains(unreachable.err, "control unreachable")) << unreachable.diagnostics();
    tend.signal(SIGTERM);
    EXPECT_EQ(tend.wait().exit_code, 0);
}

TEST(Control, StaleSocketIsReplacedALiveOneIsLeftAlone) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run("exec sleep 1000\n");
    {
        // A socket file nobody listens on, as a killed container leaves it.
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::string path = socket_path(sandbox).string();
        std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        ::close(fd);
    }
    TendProcess first(sandbox);
    ASSERT_TRUE(wait_for_socket(sandbox)) << first.current_err();

    Sandbox other;
    TendOptions options{.args = {"--runtime-dir", sandbox.runtime_dir().string()},
                        .command = {"sleep", "1000"}};
    TendProcess second(other, options);
    ASSERT_TRUE(second.wait_for_err("control is off")) << second.current_err();
    EXPECT_TRUE(contains(second.current_err(), "another tend")) << second.current_err();
    second.signal(SIGTERM);
    second.wait();
    // The second tend did not take the first one's socket away.
    EXPECT_EQ(ctl(sandbox, {"status", "web"}).code, 0);
    first.signal(SIGTERM);
    first.wait();
    EXPECT_FALSE(fs::exists(socket_path(sandbox)));
}

TEST(Control, NoClientMeansNoDeadlineAndMoreThan256AreTurnedAway) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run("exec sleep 1000\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_socket(sandbox));
    pid_t pid = tend.tend_pid();
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(wait_until([&] { return timer_armed(pid) == false; })) << "idle tend keeps a timer armed";
    const std::size_t idle_sockets = open_sockets(pid);

    // Every step waits on what it asserts: connect() returns before tend
    // accepts, so the test waits until tend holds all 256 connections. A
    // silent connection has 2 s to send its request; on a machine so loaded
    // that tend closed one before the 257th arrived, the state to assert was
    // lost, not broken: the round starts again (a wrong answer with all 256
    // still open fails at once).
    bool asserted = false;
    for (int round = 1; round <= 5 && !asserted; ++round) {
        std::vector<int> silent;
        for (std::size_t i = 0; i < 256; ++i) {
            int fd = raw_connect(sandbox);
            ASSERT_GE(fd, 0);
            silent.push_back(fd);
        }
        ASSERT_TRUE(wait_until([&] { return open_sockets(pid) >= idle_sockets + 256; }))
            << "tend holds " << open_sockets(pid) - idle_sockets << " of the 256 connections";
        EXPECT_TRUE(wait_until([&] { return timer_armed(pid) == true; })) << "silent clients need a deadline";
        int extra = raw_connect(sandbox);
        ASSERT_GE(extra, 0);
        auto busy = read_until_eof(extra);
        ::close(extra);
        const bool all_still_open = std::ranges::none_of(silent, closed_by_peer);
        for (int fd : silent) ::close(fd);
        ASSERT_TRUE(busy);
        if (!all_still_open && !contains(*busy, "busy")) {
            std::printf("round %d: tend reached a silent client's deadline first; again\n", round);
            ASSERT_TRUE(wait_until([&] { return open_sockets(pid) == idle_sockets; }));
            continue;
        }
        EXPECT_TRUE(contains(*busy, "busy")) << *busy;
        asserted = true;
    }
    EXPECT_TRUE(asserted) << "five rounds and tend never held 256 silent connections for 2 s";
    // Once they are gone, so is the deadline: an idle tend makes no wakeups.
    EXPECT_TRUE(wait_until([&] { return timer_armed(pid) == false; }));
    EXPECT_EQ(ctl(sandbox, {"status"}).code, 0);
    tend.signal(SIGTERM);
    tend.wait();
}

TEST(Control, NonRootTendWorksTheSame) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run("echo up > \"$OUT/up\"\nexec sleep 1000\n");
    fs::path runtime = sandbox.root() / "userrun";
    fs::create_directories(runtime);
    ASSERT_EQ(::chown(runtime.c_str(), 1000, 1000), 0);
    TendOptions options{.args = {"--runtime-dir", runtime.string()}};
    options.launcher_script = "exec /usr/bin/setpriv --reuid=1000 --regid=1000 --clear-groups \"$@\"";
    TendProcess tend(sandbox, options);
    ASSERT_TRUE(wait_for_file(sandbox.out("up"))) << tend.current_err();
    ASSERT_TRUE(wait_until([&] { return fs::exists(runtime / "control.sock"); })) << tend.current_err();
    struct stat st{};
    ASSERT_EQ(::stat((runtime / "control.sock").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1000u);
    fs::path binary = sandbox.root() / "tend-client";
    fs::copy_file(tend_binary(), binary);
    ::chmod(binary.c_str(), 0755);
    auto as_tend = run_client({"ctl", "--runtime-dir", runtime.string(), "status", "web"},
                              {"/usr/bin/setpriv", "--reuid=1000", "--regid=1000", "--clear-groups"}, binary);
    EXPECT_EQ(as_tend.code, 0) << as_tend.diagnostics();
    EXPECT_EQ(run_client({"health", "--runtime-dir", runtime.string()}).code, 0) << "root is always let in";
    auto other = run_client({"ctl", "--runtime-dir", runtime.string(), "status"},
                            {"/usr/bin/setpriv", "--reuid=1001", "--regid=1001", "--clear-groups"}, binary);
    EXPECT_EQ(other.code, 3) << other.diagnostics();
    auto halt = run_client({"ctl", "--runtime-dir", runtime.string(), "halt", "4"},
                           {"/usr/bin/setpriv", "--reuid=1000", "--regid=1000", "--clear-groups"}, binary);
    EXPECT_EQ(halt.code, 0) << halt.diagnostics();
    auto result = tend.wait();
    EXPECT_EQ(result.exit_code, 4) << result.diagnostics();
    EXPECT_TRUE(contains(result.err, "tend ctl halt from uid 1000")) << result.err;
    EXPECT_FALSE(fs::exists(runtime / "control.sock"));
}

TEST(Control, UnreachableListsEveryPathTried) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    auto result = ctl(sandbox, {"status"});
    EXPECT_EQ(result.code, 3);
    EXPECT_TRUE(contains(result.err, "control unreachable")) << result.diagnostics();
    EXPECT_TRUE(contains(result.err, socket_path(sandbox).string())) << result.diagnostics();
    EXPECT_EQ(run_client({"ctl"}).code, 2);
}

}  // namespace tend::itest

namespace tend::itest {
namespace {

// One scheduled service's object in `status --json`, or nullopt.
std::optional<Json> job_status(const Sandbox& sandbox, std::string_view name) {
    auto document = status_json(sandbox);
    if (!document) return std::nullopt;
    const Json* service = service_in(*document, name);
    if (!service) return std::nullopt;
    return *service;
}

}  // namespace

// A job that only `tend ctl start` can run (its schedule is an hour away)
// fails: status shows the run (start, duration, exit) and the next one, and
// the container stays healthy.
TEST(Control, StartRunsAScheduledJobNowAndStatusShowsItsRuns) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run(pid_writing_run("web"));
    sandbox.service("report").line("schedule", "@every 1h").run("echo run >> \"$OUT/report.runs\"\nexit 3\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_socket(sandbox)) << tend.current_err();
    ASSERT_TRUE(wait_until([&] { return health(sandbox).code == 0; })) << health(sandbox).diagnostics();

    auto before = job_status(sandbox, "report");
    ASSERT_TRUE(before) << tend.current_err();
    EXPECT_EQ(before->fields.at("state").text, "scheduled");
    EXPECT_TRUE(before->fields.at("ready").boolean);
    const Json& schedule = before->fields.at("schedule");
    ASSERT_EQ(schedule.kind, Json::Kind::Object);
    EXPECT_EQ(schedule.fields.at("schedule").text, "@every 1h");
    EXPECT_TRUE(schedule.fields.at("armed").boolean);
    EXPECT_EQ(schedule.fields.at("next_run").kind, Json::Kind::String);
    EXPECT_EQ(schedule.fields.at("runs").number, 0);
    EXPECT_EQ(schedule.fields.at("last_start").kind, Json::Kind::Null);
    EXPECT_FALSE(file_exists(sandbox.out("report.runs")));

    auto start = ctl(sandbox, {"start", "report"});
    EXPECT_EQ(start.code, 0) << start.diagnostics();
    EXPECT_TRUE(contains(start.out, "report: run started (pid ")) << start.diagnostics();
    ASSERT_TRUE(wait_for_lines(sandbox.out("report.runs"), 1)) << tend.current_err();
    ASSERT_TRUE(wait_until([&] {
        auto s = job_status(sandbox, "report");
        return s && s->fields.at("last_exit").text == "exited with code 3";
    })) << tend.current_err();

    auto after = job_status(sandbox, "report");
    ASSERT_TRUE(after);
    EXPECT_EQ(after->fields.at("state").text, "scheduled");
    EXPECT_TRUE(after->fields.at("ready").boolean) << "a failed run does not make the job unready";
    const Json& ran = after->fields.at("schedule");
    EXPECT_EQ(ran.fields.at("runs").number, 1);
    EXPECT_EQ(ran.fields.at("last_start").kind, Json::Kind::String);
    EXPECT_EQ(ran.fields.at("last_duration_ms").kind, Json::Kind::Number);
    EXPECT_EQ(ran.fields.at("next_run").text, schedule.fields.at("next_run").text) << "start does not move the schedule";

    auto table = ctl(sandbox, {"status"});
    ASSERT_EQ(table.code, 0) << table.diagnostics();
    auto job_lines = lines_containing(table.out, "@every 1h");
    ASSERT_EQ(job_lines.size(), 1u) << table.out;
    EXPECT_TRUE(contains(job_lines.front(), "exited with code 3")) << table.out;
    EXPECT_TRUE(contains(table.out, "NEXT RUN")) << table.out;

    auto healthy = health(sandbox);
    EXPECT_EQ(healthy.code, 0) << "a failing job never makes the container unhealthy\n" << healthy.diagnostics();
    EXPECT_TRUE(contains(tend.current_err(), "service report: run exited with code 3 after")) << tend.current_err();

    tend.signal(SIGTERM);
    EXPECT_EQ(tend.wait().exit_code, 0);
}

// `stop` disarms: no more runs (an every-second job, watched while a witness
// job runs three more times), health names it; `restart` arms it again.
TEST(Control, StopDisarmsAScheduledJobAndRestartRearmsIt) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("tick").line("schedule", "* * * * * * *").run("echo run >> \"$OUT/tick.runs\"\n");
    sandbox.service("witness").line("schedule", "* * * * * * *").run("echo run >> \"$OUT/witness.runs\"\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_socket(sandbox)) << tend.current_err();
    ASSERT_TRUE(wait_for_lines(sandbox.out("tick.runs"), 1, 15s)) << tend.current_err();

    auto stop = ctl(sandbox, {"stop", "tick"});
    EXPECT_EQ(stop.code, 0) << stop.diagnostics();
    EXPECT_TRUE(contains(stop.out, "tick: disarmed")) << stop.diagnostics();
    std::size_t runs_at_stop = 0;
    ASSERT_TRUE(wait_until([&] {
        auto s = job_status(sandbox, "tick");
        if (!s || s->fields.at("state").text != "down" || !s->fields.at("stopped").boolean) return false;
        runs_at_stop = static_cast<std::size_t>(s->fields.at("schedule").fields.at("runs").number);
        return true;
    })) << tend.current_err();
    auto disarmed = job_status(sandbox, "tick");
    ASSERT_TRUE(disarmed);
    EXPECT_FALSE(disarmed->fields.at("schedule").fields.at("armed").boolean);
    EXPECT_EQ(disarmed->fields.at("schedule").fields.at("next_run").kind, Json::Kind::Null);
    EXPECT_TRUE(disarmed->fields.at("stopped").boolean);

    const std::size_t witnessed = read_lines(sandbox.out("witness.runs")).size();
    ASSERT_TRUE(wait_for_lines(sandbox.out("witness.runs"), witnessed + 3, 15s)) << tend.current_err();
    EXPECT_EQ(read_lines(sandbox.out("tick.runs")).size(), runs_at_stop) << "a disarmed job does not run";

    auto sick = health(sandbox);
    EXPECT_EQ(sick.code, 1) << sick.diagnostics();
    EXPECT_TRUE(contains(sick.out + sick.err, "tick: disarmed (tend ctl stop)")) << sick.diagnostics();

    auto restart = ctl(sandbox, {"restart", "tick"});
    EXPECT_EQ(restart.code, 0) << restart.diagnostics();
    EXPECT_TRUE(contains(restart.out, "tick: re-armed, next run ")) << restart.diagnostics();
    EXPECT_TRUE(wait_for_lines(sandbox.out("tick.runs"), runs_at_stop + 1, 15s)) << tend.current_err();
    EXPECT_TRUE(wait_until([&] { return health(sandbox).code == 0; })) << health(sandbox).diagnostics();

    tend.signal(SIGTERM);
    EXPECT_EQ(tend.wait().exit_code, 0);
}

}  // namespace tend::itest
