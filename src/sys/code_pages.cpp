#include "tend/sys/code_pages.hpp"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace tend::sys {

bool tracer_in_status(std::string_view status) {
    constexpr std::string_view key = "\nTracerPid:";
    auto at = status.find(key);
    if (at == std::string_view::npos) return false;
    for (char c : status.substr(at + key.size())) {
        if (c == ' ' || c == '\t') continue;
        return c >= '1' && c <= '9';  // "0": nobody traces us
    }
    return false;
}

namespace {

// /proc/self/status without allocating; false when it cannot be read (then
// nothing says a debugger is there, and none usually is).
bool traced() {
    int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buffer[4096];
    std::size_t used = 0;
    ssize_t n;
    while (used < sizeof buffer && (n = ::read(fd, buffer + used, sizeof buffer - used)) > 0)
        used += static_cast<std::size_t>(n);
    ::close(fd);
    return tracer_in_status({buffer, used});
}

}  // namespace

std::size_t release_code_pages() {
    // A debugger's breakpoints live in private copies of code pages, which
    // MADV_DONTNEED would silently discard.
    if (traced()) return 0;

    // The program headers of the running executable, from the kernel's aux
    // vector: no /proc/self/maps parse, and the same answer for a static
    // binary and a PIE.
    const auto* headers = reinterpret_cast<const ElfW(Phdr)*>(::getauxval(AT_PHDR));
    const auto count = static_cast<std::size_t>(::getauxval(AT_PHNUM));
    if (headers == nullptr || count == 0) return 0;

    // The load bias: 0 for a static non-PIE binary, the base of a PIE.
    std::uintptr_t bias = 0;
    for (std::size_t i = 0; i < count; ++i) {
        if (headers[i].p_type == PT_PHDR) bias = reinterpret_cast<std::uintptr_t>(headers) - headers[i].p_vaddr;
    }

    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    std::size_t released = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const ElfW(Phdr)& segment = headers[i];
        if (segment.p_type != PT_LOAD || (segment.p_flags & PF_W) != 0) continue;
        // Whole pages inside the segment only: a page it shares with a
        // writable neighbour keeps its mapping.
        std::uintptr_t begin = (bias + segment.p_vaddr + page - 1) & ~(page - 1);
        std::uintptr_t end = (bias + segment.p_vaddr + segment.p_filesz) & ~(page - 1);
        if (end <= begin) continue;
        if (::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED) == 0) released += end - begin;
    }
    return released;
}

}  // namespace tend::sys
