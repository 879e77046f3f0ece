// Giving back the page mappings of tend's own code once start-up is over.
//
// A static binary's code is mapped from the file. The kernel maps it 64 KiB
// (or a whole page-cache folio) around every page that runs ("fault-around"),
// so by the time every service has started, start-up has mapped nearly all
// of tend's text and read-only data: config parsing, the s6 and cron readers,
// every error message's formatting. tend runs much of that never again, yet
// it would stay in tend's RSS for the container's whole life.
//
// release_code_pages() drops the mappings (not the file's pages) of every
// read-only segment of the running binary with MADV_DONTNEED. Nothing is
// lost: those pages are never written, so the next instruction that needs
// one faults it back in from the page cache (a minor fault). What the loop
// uses comes back within its first events (with the same granularity, so
// much of the rest comes along: bench/README.md has the numbers); what only
// start-up used stays out, and as unmapped page cache it is among the first
// memory the kernel reclaims under pressure.
// Writable segments (data, bss, relro) are never touched, and nothing is
// released while a debugger is attached (its breakpoints are private copies
// of code pages, which MADV_DONTNEED would discard).
#pragma once

#include <cstddef>
#include <string_view>

namespace tend::sys {

// Bytes whose mappings were dropped (0 when nothing could be; never fails
// the caller: an error only means the pages stay mapped).
std::size_t release_code_pages();

// True when the text of /proc/PID/status names a tracer (TracerPid not 0).
bool tracer_in_status(std::string_view status);

}  // namespace tend::sys
