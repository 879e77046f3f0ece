// The pipe is made under the owner's fsuid and fsgid (fs_identity.hpp), so
// the kernel gives the inode to them.
#include "tend/process/owned_pipe.hpp"

#include <cstring>

#include "tend/process/fs_identity.hpp"

namespace tend::process {

std::expected<sys::Pipe, std::string> make_owned_pipe(uid_t uid, gid_t gid) {
    // Switches nothing when uid:gid are tend's own.
    FsIdentity as_owner(uid, gid);
    if (!as_owner.ok()) return std::unexpected(*as_owner.error());
    auto pipe = sys::make_pipe();
    const int error = pipe ? 0 : pipe.error();
    if (!as_owner.restore())
        return std::unexpected(std::string("cannot restore tend's own fsuid and fsgid"));  // not seen in practice
    if (!pipe) return std::unexpected(std::string("cannot create a pipe: ") + std::strerror(error));
    return std::move(*pipe);
}

}  // namespace tend::process
