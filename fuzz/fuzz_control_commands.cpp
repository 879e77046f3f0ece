// The control commands behind the protocol: a request line (parsed as the
// server does) is handled by CommandHandler against a fake tend with a few
// services, a scheduled one among them, as root and as another user. Every
// request gets a reply whose code is one of the protocol's and which
// round-trips through encode_reply/parse_reply, or a wait with a positive
// deadline whose recheck and timeout give such replies too.
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "tend/control/commands.hpp"
#include "tend/control/protocol.hpp"

namespace {

using namespace tend::control;

class FakeTend final : public ControlTarget {
public:
    std::vector<ServiceStatus> services() const override {
        ServiceStatus web;
        web.name = "web";
        web.state = "running";
        web.pid = 42;
        web.uptime = Millis{61'500};
        web.ready = true;
        web.primary = true;
        ServiceStatus worker;
        worker.name = "worker";
        worker.state = "backoff";
        worker.restarts = 3;
        worker.last_exit = "exited 78";
        worker.last_exit_failed = true;
        worker.restart_in = Millis{1'600};
        ServiceStatus broken;
        broken.name = "bad name";
        broken.state = "refused";
        broken.refusal = "run: not executable";
        ServiceStatus job;
        job.name = "backup";
        job.state = "scheduled";
        job.ready = true;
        ScheduleView timetable;
        timetable.schedule = "*/15 * * * *";
        timetable.armed = true;
        timetable.next_run = "2026-03-29 03:00:00 CEST";
        timetable.next_run_unix_ms = 1774746000000;
        job.schedule = timetable;
        return {web, worker, broken, job};
    }
    std::optional<std::string> not_running_reason() const override { return std::nullopt; }
    ActionResult start(const std::string& name) override { return {name != "worker", name}; }
    ActionResult stop(const std::string& name) override { return {true, name}; }
    ActionResult restart(const std::string& name) override { return {true, name}; }
    ActionResult once(const std::string& name) override { return {true, name}; }
    ActionResult signal(const std::string& name, int) override { return {true, name}; }
    void halt(int, uid_t) override {}
    void set_log_level(int) override {}
};

void require_valid(const Reply& reply) {
    tend::fuzz::require(reply.code >= kDone && reply.code <= kDenied, "a reply code of the protocol");
    const auto again = parse_reply(encode_reply(reply));
    tend::fuzz::require(again.has_value() && again->code == reply.code && again->body == reply.body,
                        "a reply round-trips");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto request = parse_request(tend::fuzz::as_text(data, size));
    if (!request) return 0;
    (void)parse_wait_ready({request->words.begin() + 1, request->words.end()});
    for (const uid_t peer : {uid_t{0}, uid_t{1000}}) {
        FakeTend tend;
        CommandHandler handler(tend);
        const auto outcome = handler.handle(*request, peer);
        if (outcome.reply) {
            require_valid(*outcome.reply);
            continue;
        }
        tend::fuzz::require(outcome.wait_for > Millis{0}, "a wait has a deadline");
        if (const auto reply = handler.recheck(*request)) require_valid(*reply);
        require_valid(handler.timed_out(*request));
    }
    return 0;
}
