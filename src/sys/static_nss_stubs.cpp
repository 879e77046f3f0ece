// Stand-ins for the two NSS calls in Debian's libcap-ng.a, linked in only by
// the release build (`-Wl,--wrap=getpwuid -Wl,--wrap=initgroups`, see
// CMakeLists.txt).
//
// Why: libcap-ng keeps capng_change_id in the same object as the whole API, and
// that function calls getpwuid and initgroups, which drag glibc's static NSS
// and dlopen machinery into the binary (bench/README.md, binary size; and two
// link warnings).
// tend never calls capng_change_id: it reads users and groups from the image's
// files itself (process/credentials). Were it ever called, these fail cleanly.
#include <cerrno>
#include <grp.h>
#include <pwd.h>
#include <sys/types.h>

extern "C" {

struct passwd* __wrap_getpwuid(uid_t) {
    errno = ENOSYS;
    return nullptr;
}

int __wrap_initgroups(const char*, gid_t) {
    errno = ENOSYS;
    return -1;
}

}  // extern "C"
