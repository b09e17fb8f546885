/* streamcli: many concurrent streaming requests from one epoll thread, timestamping every
 * chunk as it arrives (CLOCK_MONOTONIC, the clock streamsrv writes into each chunk's "t").
 *
 * Usage: streamcli HOST PORT PATH CONNS TIMEOUT_S [idle HOLD_S]
 *   Connections are opened in batches of 100 every 10 ms (a burst of thousands of SYNs
 *   would measure the listen backlog, not the proxy).
 *   stream mode (default): every connection reads its response to the end; prints one JSON
 *     line of statistics (times in ms).
 *   idle mode: once every connection has received its first chunk (or the timeout passed),
 *     prints "READY ok/total", then holds the connections open until stdin reaches EOF or
 *     HOLD_S passes, then prints the JSON line.
 * Per read(), the number of complete chunks (records carrying "t":) that it completed is
 * counted; a read completing two or more is "coalesced".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd, state;          /* 0 unused, 1 connecting/sending, 2 head, 3 body, 4 done, 5 failed */
    char head[8192]; size_t hlen;
    int chunked; long long clen; /* -1: close-delimited */
    int cst; long long cleft;    /* chunk decoder: 0 size, 1 data, 2 crlf, 3 trailer */
    char rec[1024]; size_t rlen; /* decoded bytes since the last record end */
    uint64_t sent_ns, first_ns, last_recv, last_t;
    long nrec;
} cli_t;

static uint64_t now_ns(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

typedef struct { double *v; size_t n, cap; } vec_t;
static void vpush(vec_t *a, double x) {
    if (a->n == a->cap) { a->cap = a->cap ? a->cap * 2 : 4096; a->v = realloc(a->v, a->cap * sizeof(double)); }
    a->v[a->n++] = x;
}
static int dcmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static double pct(vec_t *a, double p) {
    if (!a->n) return -1;
    qsort(a->v, a->n, sizeof(double), dcmp);
    size_t i = (size_t)(p / 100.0 * (double)(a->n - 1) + 0.5);
    return a->v[i];
}

static vec_t ttfc, gap, bgap, excess, lat;
static long total_rec, coalesced_rec, reads_with_rec, coalesced_reads, errors_status, errors_conn, errors_short;
static long expected_n;

/* feed decoded body bytes; returns number of records completed */
static int feed(cli_t *c, const char *p, size_t n, uint64_t t) {
    int done = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (c->rlen < sizeof c->rec - 1) c->rec[c->rlen++] = ch;
        if (ch == '\n') {
            c->rec[c->rlen] = 0;
            char *tp = strstr(c->rec, "\"t\":");
            if (tp) {
                uint64_t st = strtoull(tp + 4, NULL, 10);
                if (c->nrec == 0) { c->first_ns = t; vpush(&ttfc, (double)(t - c->sent_ns) / 1e6); }
                else {
                    double g = (double)(t - c->last_recv) / 1e6, bg = (double)(st - c->last_t) / 1e6;
                    vpush(&gap, g); vpush(&bgap, bg); vpush(&excess, g - bg);
                }
                vpush(&lat, (double)(t - st) / 1e6);
                c->last_recv = t; c->last_t = st; c->nrec++; done++;
            }
            c->rlen = 0;
        }
    }
    return done;
}

/* returns 1 when the body is complete */
static int body(cli_t *c, const char *p, size_t n, int *recs, uint64_t t) {
    if (!c->chunked) {
        if (c->clen >= 0 && (long long)n > c->clen) n = (size_t)c->clen;
        *recs += feed(c, p, n, t);
        if (c->clen >= 0) { c->clen -= (long long)n; return c->clen == 0; }
        return 0;
    }
    size_t i = 0;
    while (i < n) {
        if (c->cst == 1) {
            size_t take = n - i < (size_t)c->cleft ? n - i : (size_t)c->cleft;
            *recs += feed(c, p + i, take, t);
            i += take; c->cleft -= (long long)take;
            if (c->cleft == 0) { c->cst = 2; c->hlen = 0; }
            continue;
        }
        /* line states use head[] as the line buffer */
        char ch = p[i++];
        if (c->hlen < sizeof c->head - 1) c->head[c->hlen++] = ch;
        if (ch != '\n') continue;
        c->head[c->hlen] = 0;
        if (c->cst == 0) {
            c->cleft = strtoll(c->head, NULL, 16);
            c->cst = c->cleft ? 1 : 3;
        } else if (c->cst == 2) c->cst = 0;
        else if (c->cst == 3 && c->hlen <= 2) { c->hlen = 0; return 1; }
        c->hlen = 0;
    }
    return 0;
}

static void finish(int ep, cli_t *c, int state) {
    if (c->fd >= 0) {
        struct linger lg = {1, 0}; /* RST: no TIME_WAIT pile-up across runs */
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd); c->fd = -1;
    }
    if (state == 4 && expected_n > 0 && c->nrec < expected_n) { errors_short++; }
    c->state = state;
}

int main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: streamcli HOST PORT PATH CONNS TIMEOUT_S [idle HOLD_S]\n"); return 2; }
    const char *host = argv[1]; int port = atoi(argv[2]); const char *path = argv[3];
    int nconn = atoi(argv[4]); double timeout_s = atof(argv[5]);
    int idle = argc >= 8 && strcmp(argv[6], "idle") == 0; double hold_s = idle ? atof(argv[7]) : 0;
    const char *q = strstr(path, "?n="); if (!q) q = strstr(path, "&n=");
    expected_n = q ? atol(q + 3) : 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *bodytxt = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}";
    char req[2048];
    int reqlen = snprintf(req, sizeof req, "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                          path, host, port, strlen(bodytxt), bodytxt);
    cli_t *cs = calloc((size_t)nconn, sizeof(cli_t));
    int ep = epoll_create1(0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, host, &a.sin_addr);
    uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)(timeout_s * 1e9), next_batch = t0;
    int opened = 0, finished = 0, ready_printed = 0, firsts = 0;
    uint64_t hold_until = 0;
    struct epoll_event evs[1024];
    static char buf[262144];
    for (;;) {
        uint64_t now = now_ns();
        if (now >= deadline) break;
        while (opened < nconn && now >= next_batch) {
            for (int b = 0; b < 100 && opened < nconn; b++) {
                cli_t *c = &cs[opened];
                c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
                int one = 1; setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                c->sent_ns = now_ns();
                if (c->fd < 0 || (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)) {
                    errors_conn++; if (c->fd >= 0) close(c->fd); c->fd = -1; c->state = 5; finished++; opened++; continue;
                }
                c->state = 1;
                struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)opened };
                epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
                opened++;
            }
            next_batch += 10000000ull;
        }
        if (idle) {
            if (!ready_printed && opened == nconn && (firsts + finished >= nconn)) {
                printf("READY %d/%d\n", firsts, nconn); ready_printed = 1;
                hold_until = now_ns() + (uint64_t)(hold_s * 1e9);
            }
            if (ready_printed) {
                struct pollfd pf = { .fd = 0, .events = POLLIN };
                if (now_ns() >= hold_until) break;
                if (poll(&pf, 1, 0) > 0) { char tmp[64]; if (read(0, tmp, sizeof tmp) <= 0) break; }
            }
        } else if (finished >= nconn) break;
        int tmo = opened < nconn ? 2 : 50;
        int k = epoll_wait(ep, evs, 1024, tmo);
        for (int i = 0; i < k; i++) {
            cli_t *c = &cs[evs[i].data.u32];
            if (c->fd < 0) continue;
            if (c->state == 1 && (evs[i].events & EPOLLOUT)) {
                int err = 0; socklen_t el = sizeof err; getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err || write(c->fd, req, (size_t)reqlen) != reqlen) { errors_conn++; finish(ep, c, 5); finished++; continue; }
                c->sent_ns = now_ns();
                c->state = 2;
                struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = evs[i].data.u32 };
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                continue;
            }
            if (!(evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) continue;
            ssize_t r = read(c->fd, buf, sizeof buf);
            uint64_t t = now_ns();
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN) continue;
                if (c->state == 3 && !c->chunked && c->clen < 0) { finish(ep, c, 4); finished++; continue; }
                errors_conn++; finish(ep, c, 5); finished++; continue;
            }
            int recs = 0, complete = 0;
            long before = c->nrec;
            if (c->state == 2) {
                size_t take = sizeof c->head - 1 - c->hlen < (size_t)r ? sizeof c->head - 1 - c->hlen : (size_t)r;
                memcpy(c->head + c->hlen, buf, take); c->hlen += take; c->head[c->hlen] = 0;
                char *e = strstr(c->head, "\r\n\r\n");
                if (!e) continue;
                if (strncmp(c->head + 9, "200", 3) != 0) { errors_status++; if (errors_status <= 3) fprintf(stderr, "status: %.60s\n", c->head); finish(ep, c, 5); finished++; continue; }
                size_t hl = (size_t)(e - c->head) + 4;
                c->chunked = 0; c->clen = -1;
                for (char *l = strstr(c->head, "\r\n"); l && l < e; l = strstr(l + 2, "\r\n")) {
                    if (strncasecmp(l + 2, "transfer-encoding:", 18) == 0 && strcasestr(l + 2, "chunked")) c->chunked = 1;
                    if (strncasecmp(l + 2, "content-length:", 15) == 0) c->clen = atoll(l + 17);
                }
                size_t consumed_from_buf = hl - (c->hlen - take);
                c->state = 3; c->hlen = 0;
                complete = body(c, buf + consumed_from_buf, (size_t)r - consumed_from_buf, &recs, t);
            } else if (c->state == 3) {
                complete = body(c, buf, (size_t)r, &recs, t);
            }
            if (before == 0 && c->nrec > 0) firsts++;
            if (recs > 0) { total_rec += recs; reads_with_rec++; }
            if (recs >= 2) { coalesced_reads++; coalesced_rec += recs; }
            if (complete) { finish(ep, c, 4); finished++; }
        }
    }
    int ok = 0, unfinished = 0;
    for (int i = 0; i < nconn; i++) {
        if (cs[i].state == 4) ok++;
        if (idle && cs[i].state == 3 && cs[i].nrec > 0) ok++;
        if (cs[i].state >= 1 && cs[i].state <= 3 && !(idle && cs[i].nrec > 0)) unfinished++;
        if (cs[i].fd >= 0) finish(ep, &cs[i], cs[i].state);
    }
    double g99 = pct(&gap, 99), bg99 = pct(&bgap, 99);
    printf("{\"conns\":%d,\"ok\":%d,\"unfinished\":%d,\"err_conn\":%ld,\"err_status\":%ld,\"short\":%ld,"
           "\"ttfc_p50\":%.3f,\"ttfc_p99\":%.3f,\"gap_p50\":%.3f,\"gap_p99\":%.3f,\"bgap_p50\":%.3f,\"bgap_p99\":%.3f,"
           "\"excess_p99\":%.3f,\"lat_p50\":%.3f,\"lat_p99\":%.3f,\"chunks\":%ld,\"coalesced_chunks\":%ld,\"coalesced_reads\":%ld,"
           "\"coalesced_share\":%.5f,\"elapsed_s\":%.3f}\n",
           nconn, ok, unfinished, errors_conn, errors_status, errors_short,
           pct(&ttfc, 50), pct(&ttfc, 99), pct(&gap, 50), g99, pct(&bgap, 50), bg99,
           pct(&excess, 99), pct(&lat, 50), pct(&lat, 99), total_rec, coalesced_rec, coalesced_reads,
           total_rec ? (double)coalesced_rec / (double)total_rec : 0.0, (double)(now_ns() - t0) / 1e9);
    return 0;
}
