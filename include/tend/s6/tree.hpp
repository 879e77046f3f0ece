// Is this an s6-overlay image? Decides whether S6_* variables count, whether
// /run/s6/container_environment is written and /run/s6/basedir/bin/halt made.
//
// tend's own defaults are s6-overlay v2's dirs, so "those dirs have content"
// cannot tell an s6 image from a tend one. A tree is "s6" when any of:
//   - an S6_* variable is set (the image configures s6-overlay);
//   - /etc/s6-overlay exists (v3 layout) or /etc/fix-attrs.d does (v2);
//   - a cont-init, cont-finish, run or finish file starts with a
//     with-contenv or execlineb shebang.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tend/config/options.hpp"
#include "tend/s6/variables.hpp"

namespace tend::s6 {

struct S6TreeDetection {
    bool detected = false;
    std::string reason;                  // for the debug line: why
    std::vector<std::string> warnings;   // things tend does not run (fix-attrs.d, log/ loggers)
};

// `root` prefixes /etc/s6-overlay and /etc/fix-attrs.d (tests).
S6TreeDetection detect_s6_tree(const config::Options& options, const config::EnvironmentVariables& variables,
                               const std::filesystem::path& root = "/");

// S6_* as a layer of the one option parse (config::OptionLayer). The parse
// asks it once, after the command line and TEND_* are read: it detects the
// tree in the dirs they give (so a tree found only by its shebangs counts);
// on an s6 tree its values are the S6_* variables mapped (variables.hpp),
// s6-overlay's defaults included (on-init-failure continue), beneath TEND_*
// and the flags; complete() sets Options' s6 fields and puts S6_CMD_ARG0
// before the CMD. Nothing is read before the parse asks: `tend ctl` and
// `tend health` never read the environment for it.
class S6OptionLayer final : public config::OptionLayer {
public:
    // `envp`: where the S6_* and TEND_* variables are read, when asked.
    // `root` prefixes /etc/s6-overlay and /etc/fix-attrs.d (tests).
    explicit S6OptionLayer(char** envp, std::filesystem::path root = "/");
    // Tests: the S6_* and TEND_* variables themselves.
    explicit S6OptionLayer(config::EnvironmentVariables variables, std::filesystem::path root = "/");

    std::vector<Value> values(const config::Options& so_far) override;
    void complete(config::Options& options) override;

    // The lines to log once logging is set up (debug notes, warnings); empty
    // when no tree was detected.
    struct Messages {
        std::vector<std::string> debug;
        std::vector<std::string> warnings;
    };
    const Messages& messages() const { return messages_; }

private:
    char** envp_ = nullptr;
    std::optional<config::EnvironmentVariables> variables_;
    std::filesystem::path root_;
    S6TreeDetection detection_;
    S6Mapping mapping_;
    Messages messages_;
};

}  // namespace tend::s6
