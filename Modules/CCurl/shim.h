// Thin typed wrappers around libcurl for what Swift cannot call or import directly.
// No logic lives here: each entry only exists because of a Swift/C interop limit.
#ifndef OLLA_CCURL_SHIM_H
#define OLLA_CCURL_SHIM_H

// Why: the type-checking macros in curl.h wrap curl_easy_setopt in GNU statement
// expressions that Swift's importer cannot see through.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stdint.h>

// Why: Olla needs the libcurl that scripts/libcurl/build.sh makes (Debian 12's curl source
// package with Olla's patches, static). Only that build defines this symbol, so linking
// against any other libcurl fails here ("undefined reference to olla_libcurl_patched": run
// `make build-deps`).
extern const int olla_libcurl_patched;
static inline int ccurl_patched_build(void) { return olla_libcurl_patched; }

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

// Why: curl_easy_setopt is variadic; the socket open and close callbacks have types of their own.
static inline CURLcode ccurl_easy_setopt_opensocket(CURL *handle, curl_opensocket_callback value) {
    return curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, value);
}
static inline CURLcode ccurl_easy_setopt_closesocket(CURL *handle, curl_closesocket_callback value) {
    return curl_easy_setopt(handle, CURLOPT_CLOSESOCKETFUNCTION, value);
}

// Why: curl_multi_setopt is variadic; one typed wrapper per argument type.
static inline CURLMcode ccurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

static inline CURLMcode ccurl_multi_setopt_pointer(CURLM *multi, CURLMoption option, void *value) {
    return curl_multi_setopt(multi, option, value);
}
static inline CURLMcode ccurl_multi_setopt_socketfunction(CURLM *multi, curl_socket_callback value) {
    return curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, value);
}
static inline CURLMcode ccurl_multi_setopt_timerfunction(CURLM *multi, curl_multi_timer_callback value) {
    return curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, value);
}

// Why: curl_easy_getinfo is variadic; CURLINFO_PRIVATE is the one Olla reads (the pointer
// it stored with CURLOPT_PRIVATE, NULL when the call fails).
static inline void *ccurl_easy_private(CURL *handle) {
    char *value = NULL;
    if (curl_easy_getinfo(handle, CURLINFO_PRIVATE, &value) != CURLE_OK) return NULL;
    return value;
}

// Why: the result of a finished transfer sits in a union inside CURLMsg.
static inline CURLcode ccurl_msg_result(const CURLMsg *message) {
    return message->data.result;
}

// Why: CURLPAUSE_CONT is an expression macro, which Swift does not import.
static const int ccurl_pause_cont = CURLPAUSE_CONT;

#endif
