// Thin typed wrappers around libcurl for what Swift cannot call or import directly.
// No logic lives here: each entry only exists because of a Swift/C interop limit.
#ifndef OLLA_CCURL_SHIM_H
#define OLLA_CCURL_SHIM_H

// Why: the type-checking macros in curl.h wrap curl_easy_setopt in GNU statement
// expressions that Swift's importer cannot see through.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

typedef size_t (*ccurl_data_callback)(char *buffer, size_t size, size_t nitems, void *userdata);

// Why: curl_easy_setopt is variadic; one typed wrapper per argument type.
static inline CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ccurl_easy_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ccurl_easy_setopt_callback(CURL *handle, CURLoption option, ccurl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

// Why: curl_easy_getinfo is variadic.
static inline CURLcode ccurl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

// Why: curl_multi_setopt is variadic.
static inline CURLMcode ccurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

// Why: the result of a finished transfer sits in a union inside CURLMsg.
static inline CURLcode ccurl_msg_result(const CURLMsg *message) {
    return message->data.result;
}

// Why: CURLPAUSE_CONT is an expression macro, which Swift does not import.
static const int ccurl_pause_cont = CURLPAUSE_CONT;

// Why: curl_multi_setopt is variadic; the socket API needs these three.
static inline CURLMcode ccurl_multi_setopt_pointer(CURLM *multi, CURLMoption option, void *value) {
    return curl_multi_setopt(multi, option, value);
}
static inline CURLMcode ccurl_multi_setopt_socketfunction(CURLM *multi, curl_socket_callback value) {
    return curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, value);
}
static inline CURLMcode ccurl_multi_setopt_timerfunction(CURLM *multi, curl_multi_timer_callback value) {
    return curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, value);
}

// The curl loop waits with epoll, which Glibc's Swift module does not export, and whose
// event struct is packed (not importable): these wrappers pass plain ints instead.
static const uint32_t ccurl_epoll_in = EPOLLIN;
static const uint32_t ccurl_epoll_out = EPOLLOUT;
static const uint32_t ccurl_epoll_err = EPOLLERR | EPOLLHUP;
static const uint32_t ccurl_epoll_rdhup = EPOLLRDHUP;
static const int ccurl_epoll_add = EPOLL_CTL_ADD;
static const int ccurl_epoll_mod = EPOLL_CTL_MOD;
static const int ccurl_epoll_del = EPOLL_CTL_DEL;

static inline int ccurl_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static inline int ccurl_epoll_control(int epfd, int op, int fd, uint32_t events) {
    struct epoll_event event = { .events = events, .data = { .fd = fd } };
    return epoll_ctl(epfd, op, fd, &event);
}

// Fills fds[i]/events[i] for up to max (<= 256) ready descriptors.
static inline int ccurl_epoll_wait(int epfd, int *fds, uint32_t *events, int max, int timeout_ms) {
    struct epoll_event ready[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, ready, max, timeout_ms);
    for (int i = 0; i < n; i++) { fds[i] = ready[i].data.fd; events[i] = ready[i].events; }
    return n;
}

static inline int ccurl_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

#endif
