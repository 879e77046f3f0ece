// The control socket inside the event loop.
//
// Pure I/O: accept, read one bounded request, hand it to the CommandHandler,
// write the reply, close. Nothing here blocks: every socket is non-blocking,
// each connection has one deadline (2 s to send its request, 2 s for each
// reply, or wait-ready's --timeout) that Init folds into the one timerfd
// through next_deadline()/on_timer(). With no connection open there is no
// deadline, so an idle tend still makes no wakeups.
#pragma once

#include <sys/types.h>

#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tend/control/commands.hpp"
#include "tend/control/protocol.hpp"
#include "tend/sys/clock.hpp"
#include "tend/sys/event_loop.hpp"
#include "tend/sys/fd.hpp"

namespace tend::control {

inline constexpr const char* kSocketName = "control.sock";
inline constexpr std::size_t kMaxConnections = 256;
inline constexpr sys::Duration kRequestDeadline{2000};
inline constexpr sys::Duration kReplyDeadline{2000};

struct ServerSettings {
    std::filesystem::path runtime_dir;
    std::optional<gid_t> group;  // --control-group
    uid_t own_uid = 0;
};

// Who may talk to tend: root, tend's own uid, or a member of the control
// group (its gid, or one of its supplementary groups). Pure.
bool peer_allowed(uid_t uid, gid_t gid, const std::vector<gid_t>& groups, uid_t own_uid, std::optional<gid_t> group);

class ControlServer {
public:
    // Creates the runtime dir if needed and listens on control.sock there.
    // The error is why control is off, for the one info line.
    static std::expected<std::unique_ptr<ControlServer>, std::string> open(sys::EventLoop& loop,
                                                                           const sys::Clock& clock,
                                                                           CommandHandler& handler,
                                                                           ServerSettings settings);
    ~ControlServer();  // closes every connection and removes the socket
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    std::optional<sys::TimePoint> next_deadline() const;
    void on_timer();
    // Something changed in tend: waiting requests (wait-ready) look again.
    void on_change();

    const std::filesystem::path& socket_path() const { return path_; }
    std::size_t connections() const { return connections_.size(); }

private:
    enum class Phase { Reading, Waiting, Writing };
    struct Connection {
        sys::UniqueFd fd;
        uid_t uid = 0;
        Phase phase = Phase::Reading;
        RequestReader reader;
        Request request;
        std::string out;
        std::size_t sent = 0;
        sys::TimePoint deadline{};
    };

    ControlServer(sys::EventLoop& loop, const sys::Clock& clock, CommandHandler& handler, ServerSettings settings);

    void on_accept();
    void on_event(int fd, std::uint32_t events);
    void read_request(Connection& connection);
    void answer(Connection& connection, Reply reply);
    void flush(Connection& connection);
    void close(int fd);
    void pause_accepting(int error);

    sys::EventLoop& loop_;
    const sys::Clock& clock_;
    CommandHandler& handler_;
    ServerSettings settings_;
    std::filesystem::path path_;
    sys::UniqueFd dir_;  // the runtime dir, opened O_NOFOLLOW and checked once
    sys::UniqueFd listener_;
    dev_t socket_dev_ = 0;
    ino_t socket_ino_ = 0;
    bool accepting_ = true;
    std::unordered_map<int, std::unique_ptr<Connection>> connections_;
};

}  // namespace tend::control
