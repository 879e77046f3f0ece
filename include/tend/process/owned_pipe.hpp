// A pipe whose inode belongs to a given uid and gid.
//
// A service that is not root must be able to reopen its own stdout and
// stderr by path (/dev/stdout, /proc/self/fd/2: nginx and php-fpm do), which
// the kernel allows only to the pipe's owner (pipes are mode 0600). pipe2()
// gives the new inode the caller's fsuid and fsgid, so tend switches those
// to the service's ids for the one call and back: CAP_SETUID and CAP_SETGID,
// which the user switch needs anyway, are enough; no CAP_CHOWN.
#pragma once

#include <sys/types.h>

#include <expected>
#include <string>

#include "tend/sys/fd.hpp"

namespace tend::process {

// pipe2(O_CLOEXEC) owned by uid:gid. When those are tend's own fsuid and
// fsgid nothing is switched. On failure: what went wrong, for a message
// ("cannot set fsuid 3000: ..."); tend's fsuid and fsgid are unchanged either way.
std::expected<sys::Pipe, std::string> make_owned_pipe(uid_t uid, gid_t gid);

}  // namespace tend::process
