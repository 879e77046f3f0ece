// s6-svstat under tend: the state of a service tend supervises, read with
// control's `status NAME --json` and printed as s6-svstat prints it (a
// human summary, or the requested fields separated by spaces).
//
// What tend does not record is said, not invented: it keeps no timestamp of
// a service's last change, so `updownsince`, `readysince` and `readyfor` are
// refused naming the field, and `updownfor` (-t) is the seconds up, or -1
// for a service that is down.
#pragma once

#include <sys/types.h>

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tend::applets {

enum class SvstatField { Up, WantedUp, NormallyUp, Ready, Paused, Pid, Pgid, ExitCode, Signal, Signum, UpDownFor };

struct SvstatRequest {
    std::vector<SvstatField> fields;  // empty: the human summary
    bool numeric_signal = false;      // -n
    std::string service;              // its name (from a path: the basename)
    std::filesystem::path dir;        // the argument as a path, for its `down` file
};

// s6-svstat [-uwNrpgest | -o FIELD,...] [-n] SERVICEDIR; args without argv[0]. Pure.
std::expected<SvstatRequest, std::string> parse_svstat(const std::vector<std::string>& args,
                                                       const std::filesystem::path& cwd);

// One service's state as s6-svstat reports it.
struct SvstatState {
    bool up = false;          // its main process runs
    bool wanted_up = true;    // not stopped through control (s6-svc -d, -O) nor held by a down file
    bool normally_up = true;  // no `down` file
    bool ready = false;       // up and ready
    bool paused = false;      // its main process is stopped (SIGSTOP)
    bool started = false;     // it has run at least once
    pid_t pid = 0;
    pid_t pgid = 0;
    std::optional<int> exit_code;  // of the last run, when it exited
    std::optional<int> signal;     // of the last run, when it was killed
    std::optional<long long> up_seconds;
};

// From control's `status NAME --json` body; `down_file`: the service dir has
// one. The error names what is missing (a refused service: its refusal). Pure.
std::expected<SvstatState, std::string> svstat_state_from_json(std::string_view json, bool down_file);

// The line s6-svstat prints (without the newline). Pure.
std::string format_svstat(const SvstatRequest& request, const SvstatState& state);

// A field of `status --json`: the text of a string, the token of anything
// else, nothing for null or a missing key. Top-level keys come first in
// tend's JSON, so the first match is the service's own. Pure.
std::optional<std::string> json_field(std::string_view json, std::string_view key);

}  // namespace tend::applets
