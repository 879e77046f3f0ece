// `tend compat install [ROOT]`: the s6-overlay command names as symlinks to
// this binary, in ROOT/command (v3) and ROOT/usr/bin (v2), for a Dockerfile RUN.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "tend/applets/applets.hpp"

namespace tend::applets {

int install_applet_links(const std::filesystem::path& root) {
    std::error_code error;
    std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error) {
        std::fprintf(stderr, "tend: error: cannot read /proc/self/exe: %s\n", error.message().c_str());
        return 1;
    }
    int failures = 0;
    for (const char* sub : {"command", "usr/bin"}) {
        std::filesystem::path dir = root / sub;
        std::filesystem::create_directories(dir, error);
        if (error) {
            std::fprintf(stderr, "tend: error: %s: %s\n", dir.c_str(), error.message().c_str());
            ++failures;
            continue;
        }
        for (std::string_view name : applet_names()) {
            std::filesystem::path link = dir / std::string(name);
            std::error_code ignored;
            auto status = std::filesystem::symlink_status(link, ignored);
            if (std::filesystem::exists(status)) {
                // Replace our own links; never a real program the image ships.
                if (!std::filesystem::is_symlink(status)) {
                    std::fprintf(stderr, "tend: warning: %s exists and is not a link, left as it is\n", link.c_str());
                    continue;
                }
                std::filesystem::remove(link, ignored);
            }
            if (::symlink(self.c_str(), link.c_str()) != 0) {
                std::fprintf(stderr, "tend: error: cannot link %s: %s\n", link.c_str(), std::strerror(errno));
                ++failures;
            }
        }
    }
    return failures == 0 ? 0 : 1;
}

}  // namespace tend::applets
