// Thin typed wrappers around the Linux calls Olla's worker loop waits with (epoll, eventfd).
// No logic lives here: each entry only exists because of a Swift/C interop limit.
#ifndef OLLA_CEPOLL_SHIM_H
#define OLLA_CEPOLL_SHIM_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

// Why: Glibc's Swift module exports neither epoll nor eventfd; these re-export the constants
// as plain values.
static const uint32_t cepoll_in = EPOLLIN;
static const uint32_t cepoll_out = EPOLLOUT;
static const uint32_t cepoll_err = EPOLLERR | EPOLLHUP;
static const uint32_t cepoll_rdhup = EPOLLRDHUP;
static const int cepoll_ctl_add = EPOLL_CTL_ADD;
static const int cepoll_ctl_mod = EPOLL_CTL_MOD;
static const int cepoll_ctl_del = EPOLL_CTL_DEL;

// Why: epoll_create1 is not exported to Swift.
static inline int cepoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

// Why: struct epoll_event is packed on x86-64, which Swift cannot import: pass plain values.
static inline int cepoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event = { .events = events, .data = { .u64 = data } };
    return epoll_ctl(epfd, op, fd, &event);
}

// Why: the same packed struct; the ready events are copied out into two plain arrays
// (at most 256 per call).
static inline int cepoll_wait(int epfd, uint64_t *data, uint32_t *events, int max, int timeout_ms) {
    struct epoll_event ready[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, ready, max, timeout_ms);
    for (int i = 0; i < n; i++) { data[i] = ready[i].data.u64; events[i] = ready[i].events; }
    return n;
}

// Why: eventfd is not exported to Swift.
static inline int cepoll_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

#endif
