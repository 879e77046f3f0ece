// Starting s6-overlay scripts whose interpreter the image may not have.
//
// When tend starts a run, finish or cont-init file, it reads the file's
// first line in the parent. A with-contenv shebang (`#!/usr/bin/with-contenv
// bash`, `#!/command/with-contenv sh`) is done by tend itself: it execs the
// rest of the line with the script's path and the container environment, so
// no with-contenv (and no execlineb, which s6-overlay's with-contenv needs)
// has to exist. An execlineb shebang whose execlineb is missing is run by
// tend when the script is one plain command (no braces, no `$`), e.g. seed
// 002's finish `s6-svscanctl -t /var/run/s6/services`; an applet name (halt,
// s6-svscanctl ...) then runs this binary, as /command comes first on
// s6-overlay's PATH. Everything else is left as it is.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tend/config/service_config.hpp"
#include "tend/process/environment.hpp"
#include "tend/process/spawn.hpp"

namespace tend::compat {

// Rewrites plan (executable, argv, envp) for the shebangs above.
// `contenv_envp` is the environment a with-contenv script gets; nothing keeps
// plan.envp. With S6_KEEP_ENV non-zero in plan.envp, the environment is kept.
// Reads the file; never throws; a file it cannot read is left to exec.
void adapt_script_plan(process::SpawnPlan& plan, const std::optional<std::vector<std::string>>& contenv_envp,
                       const std::string& default_path);

// For a service's run or finish: with-contenv gives keep-env plus tend's
// layers 2 and 3 (env/, HOME/USER/LOGNAME, TEND_SERVICE stay; SPEC).
void adapt_service_script(process::SpawnPlan& plan, const config::ServiceConfig& service,
                          const process::EnvironmentInputs& inputs);

// The message for a failed start: "run: interpreter /usr/bin/foo not found"
// when exec said ENOENT and the script exists with a shebang whose
// interpreter is missing (the script's name first when name_script), else
// failure.message().
std::string describe_spawn_failure(const std::filesystem::path& script, const process::SpawnFailure& failure,
                                   bool name_script = true);

// `tend check`: why `script` (a cont-init/cont-finish script, a run or
// finish) would not start, found without starting it: the plan a start makes
// (adapt_script_plan), then what exec would find at its end (the program, or
// the interpreter of the kernel's #! line). Nothing when it would start.
std::optional<std::string> script_start_problem(const std::filesystem::path& script,
                                                const std::vector<std::string>& envp,
                                                const std::string& default_path);

}  // namespace tend::compat
