/* streamsrv: the bench's scripted Ollama-like backend (one epoll thread, no deps).
 *
 * Every request is answered after its body has been consumed (Content-Length or chunked).
 * The query string scripts the answer:
 *   n=K&gap=MS[&fmt=sse][&hold=MS][&id=X]  K chunks (NDJSON lines or SSE events), one write
 *        each, the k-th scheduled at start + k*gap; each carries "t":<CLOCK_MONOTONIC ns at
 *        the write> so the client can compare its arrival gaps with the backend's own.
 *        phase=US puts the chunks after the first on a grid of the monotonic clock instead:
 *        at the times t = phase (mod gap), microseconds, so that streams given different
 *        phases never send at the same moment, whenever their requests arrived.
 *        hold=MS keeps the stream open and silent for MS after the last chunk (idle streams);
 *        hold=-1 keeps it so until the process gets SIGUSR1, which ends every such stream at
 *        once (bench/instructions.py measures stream ends in a window of their own).
 *        usage=1 puts token counts in the end: the last NDJSON line carries Ollama's
 *        eval_count / prompt_eval_count / durations, an SSE stream gets OpenAI's usage chunk
 *        (`include_usage`) before `[DONE]`; without it the end holds no counts (OpenAI
 *        streams without include_usage; bench/instructions.py measures both).
 *   big=BYTES        a Content-Length response of BYTES bytes (pass-through rate).
 *   path /api/blobs/ the body is consumed and 201 is answered.
 *   /api/tags, /api/ps, /api/version, anything else: what Ollama answers (models "m" and
 *                    "llama3.2"), so that Olla's health probes and model discovery are happy.
 * When a connection ends (EOF or error) while it carries an id, "close <id> <ns>" is printed
 * to stdout (line-buffered): the disconnect case reads it.
 * Usage: streamsrv PORT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 262144
#define INCAP 65536

enum { S_HEAD, S_BODY, S_STREAM, S_HOLD, S_BIG };

typedef struct {
    int used, state, fmt, chunked_body, usage;
    uint32_t gen;
    char in[INCAP];
    size_t inlen;
    long long body_left;          /* Content-Length body bytes left */
    int cstate; long long cleft;  /* chunked body decoder */
    int is_blob, path_kind;       /* path_kind: 1 /api/tags, 2 /api/ps, 3 /api/version */
    long n, gap_ms, hold_ms, sent, phase_us;
    long long big_left;
    uint64_t start_ns;
    char id[64];
    char *out; size_t outlen, outcap, outoff;
    int want_out;
} conn_t;

static conn_t **conns;
static int ep;
static volatile sig_atomic_t release_held;   /* SIGUSR1: end the streams held with hold=-1 */
static void on_usr1(int sig) { (void)sig; release_held = 1; }
static char bigbuf[1 << 20];

static uint64_t now_ns(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* timer heap */
typedef struct { uint64_t t; int fd; uint32_t gen; } tmr_t;
static tmr_t *heap; static size_t hlen, hcap;
static void hpush(uint64_t t, int fd, uint32_t gen) {
    if (hlen == hcap) { hcap = hcap ? hcap * 2 : 4096; heap = realloc(heap, hcap * sizeof(tmr_t)); }
    size_t i = hlen++;
    while (i > 0) { size_t p = (i - 1) / 2; if (heap[p].t <= t) break; heap[i] = heap[p]; i = p; }
    heap[i] = (tmr_t){t, fd, gen};
}
static tmr_t hpop(void) {
    tmr_t top = heap[0], last = heap[--hlen];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        uint64_t mt = last.t;
        if (l < hlen && heap[l].t < mt) { m = l; mt = heap[l].t; }
        if (r < hlen && heap[r].t < mt) { m = r; }
        if (m == i) break;
        heap[i] = heap[m]; i = m;
    }
    if (hlen) heap[i] = last;
    return top;
}

static void set_events(int fd, conn_t *c) {
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | (c->want_out ? EPOLLOUT : 0), .data.fd = fd };
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static void close_conn(int fd, const char *why) {
    conn_t *c = conns[fd];
    if (c->id[0]) { printf("close %s %llu %s\n", c->id, (unsigned long long)now_ns(), why); }
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    free(c->out);
    c->out = NULL; c->outlen = c->outcap = c->outoff = 0;
    c->used = 0; c->gen++;
}

/* returns -1 if the connection was closed */
static int flush_out(int fd) {
    conn_t *c = conns[fd];
    while (c->outoff < c->outlen) {
        ssize_t w = write(fd, c->out + c->outoff, c->outlen - c->outoff);
        if (w < 0) {
            if (errno == EAGAIN) break;
            close_conn(fd, "write-error"); return -1;
        }
        c->outoff += (size_t)w;
    }
    if (c->outoff == c->outlen) c->outoff = c->outlen = 0;
    int want = c->outlen > 0 || c->state == S_BIG;
    if (want != c->want_out) { c->want_out = want; set_events(fd, c); }
    return 0;
}

static int send_bytes(int fd, const char *p, size_t n) {
    conn_t *c = conns[fd];
    if (c->outlen == 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) { if (errno != EAGAIN) { close_conn(fd, "write-error"); return -1; } w = 0; }
        p += w; n -= (size_t)w;
        if (n == 0) return 0;
    }
    if (c->outlen + n > c->outcap) { c->outcap = (c->outlen + n) * 2; c->out = realloc(c->out, c->outcap); }
    memcpy(c->out + c->outlen, p, n); c->outlen += n;
    return flush_out(fd);
}

static long qparam(const char *q, const char *key, long dflt, char *sbuf, size_t slen) {
    size_t kl = strlen(key);
    const char *p = q;
    while (p && *p) {
        if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
            const char *v = p + kl + 1;
            if (sbuf) { size_t i = 0; while (v[i] && v[i] != '&' && v[i] != ' ' && i + 1 < slen) { sbuf[i] = v[i]; i++; } sbuf[i] = 0; }
            return atol(v);
        }
        p = strchr(p, '&'); if (p) p++;
    }
    return dflt;
}

static int send_chunk(int fd) {
    conn_t *c = conns[fd];
    char payload[512], frame[600];
    uint64_t t = now_ns();
    int pl;
    if (c->fmt)
        pl = snprintf(payload, sizeof payload,
            "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok\"}}],\"i\":%ld,\"t\":%llu}\n\n",
            c->sent, (unsigned long long)t);
    else
        pl = snprintf(payload, sizeof payload,
            "{\"model\":\"m\",\"created_at\":\"2024-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\"tok\"},\"i\":%ld,\"t\":%llu,\"done\":false}\n",
            c->sent, (unsigned long long)t);
    int fl = snprintf(frame, sizeof frame, "%x\r\n%s\r\n", pl, payload);
    c->sent++;
    return send_bytes(fd, frame, (size_t)fl);
}

static int finish_stream(int fd) {
    conn_t *c = conns[fd];
    char payload[512], frame[600];
    int pl;
    if (c->fmt && c->usage)
        pl = snprintf(payload, sizeof payload,
            "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[],"
            "\"usage\":{\"prompt_tokens\":26,\"completion_tokens\":%ld,\"total_tokens\":%ld}}\n\ndata: [DONE]\n\n",
            c->sent, c->sent + 26);
    else if (c->fmt)
        pl = snprintf(payload, sizeof payload, "data: [DONE]\n\n");
    else if (c->usage)
        pl = snprintf(payload, sizeof payload,
            "{\"model\":\"m\",\"created_at\":\"2024-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},"
            "\"done_reason\":\"stop\",\"done\":true,\"total_duration\":1234567890,\"load_duration\":1234567,"
            "\"prompt_eval_count\":26,\"prompt_eval_duration\":12345678,\"eval_count\":%ld,\"eval_duration\":1200000000}\n",
            c->sent);
    else
        pl = snprintf(payload, sizeof payload, "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\n");
    int fl = snprintf(frame, sizeof frame, "%x\r\n%s\r\n0\r\n\r\n", pl, payload);
    c->state = S_HEAD;
    return send_bytes(fd, frame, (size_t)fl);
}

static int respond(int fd);

#define MODEL(n) "{\"name\":\"" n "\",\"model\":\"" n "\",\"modified_at\":\"2024-01-01T00:00:00Z\",\"size\":1000," \
    "\"digest\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"details\":{\"format\":\"gguf\"," \
    "\"family\":\"llama\",\"parameter_size\":\"1B\",\"quantization_level\":\"Q4_0\"}}"

/* Parse as much of c->in as possible. Returns -1 if closed. */
static int process_input(int fd) {
    conn_t *c = conns[fd];
    for (;;) {
        if (c->state == S_HEAD) {
            if (c->inlen == 0) return 0;
            char *end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
            if (!end) { if (c->inlen == INCAP) { close_conn(fd, "head-too-big"); return -1; } return 0; }
            size_t hl = (size_t)(end - c->in) + 4;
            char head[INCAP + 1]; memcpy(head, c->in, hl); head[hl] = 0;
            memmove(c->in, c->in + hl, c->inlen - hl); c->inlen -= hl;
            char *sp = strchr(head, ' '); if (!sp) { close_conn(fd, "bad-request"); return -1; }
            char *target = sp + 1; char *sp2 = strchr(target, ' '); if (sp2) *sp2 = 0;
            char *q = strchr(target, '?');
            c->is_blob = strstr(target, "/api/blobs/") != NULL;
            c->path_kind = strncmp(target, "/api/tags", 9) == 0 ? 1 : strncmp(target, "/api/ps", 7) == 0 ? 2
                         : strncmp(target, "/api/version", 12) == 0 ? 3 : 0;
            c->n = 0; c->gap_ms = 0; c->hold_ms = 0; c->big_left = 0; c->fmt = 0; c->sent = 0; c->usage = 0;
            c->phase_us = -1;
            if (q) {
                char fmt[16] = "", id[64] = "";
                c->n = qparam(q + 1, "n", 0, NULL, 0);
                c->gap_ms = qparam(q + 1, "gap", 0, NULL, 0);
                c->phase_us = qparam(q + 1, "phase", -1, NULL, 0);
                c->hold_ms = qparam(q + 1, "hold", 0, NULL, 0);
                c->usage = qparam(q + 1, "usage", 0, NULL, 0) != 0;
                c->big_left = qparam(q + 1, "big", 0, NULL, 0);
                qparam(q + 1, "fmt", 0, fmt, sizeof fmt);
                qparam(q + 1, "id", 0, id, sizeof id);
                c->fmt = strcmp(fmt, "sse") == 0;
                if (id[0]) strcpy(c->id, id);
            }
            char *rest = (sp2 ? sp2 + 1 : target);
            c->body_left = 0; c->chunked_body = 0; c->cstate = 0; c->cleft = 0;
            for (char *line = strstr(rest, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
                char *h = line + 2;
                if (strncasecmp(h, "content-length:", 15) == 0) c->body_left = atoll(h + 15);
                else if (strncasecmp(h, "transfer-encoding:", 18) == 0 && strcasestr(h, "chunked") && strcasestr(h, "chunked") < strstr(h, "\r\n")) c->chunked_body = 1;
            }
            c->state = S_BODY;
        }
        if (c->state == S_BODY) {
            if (!c->chunked_body) {
                size_t take = c->inlen < (size_t)c->body_left ? c->inlen : (size_t)c->body_left;
                memmove(c->in, c->in + take, c->inlen - take); c->inlen -= take; c->body_left -= (long long)take;
                if (c->body_left > 0) return 0;
            } else {
                /* cstate: 0 size line, 1 data, 2 CRLF after data, 3 trailer, 4 done */
                size_t i = 0;
                while (i < c->inlen && c->cstate != 4) {
                    if (c->cstate == 0 || c->cstate == 2 || c->cstate == 3) {
                        char *nl = memchr(c->in + i, '\n', c->inlen - i);
                        if (!nl) break;
                        size_t ll = (size_t)(nl - (c->in + i)) + 1;
                        if (c->cstate == 0) {
                            c->cleft = strtoll(c->in + i, NULL, 16);
                            c->cstate = c->cleft == 0 ? 3 : 1;
                        } else if (c->cstate == 2) c->cstate = 0;
                        else if (ll <= 2) c->cstate = 4; /* empty line ends trailers */
                        i += ll;
                    } else {
                        size_t take = c->inlen - i < (size_t)c->cleft ? c->inlen - i : (size_t)c->cleft;
                        i += take; c->cleft -= (long long)take;
                        if (c->cleft == 0) c->cstate = 2;
                    }
                }
                memmove(c->in, c->in + i, c->inlen - i); c->inlen -= i;
                if (c->cstate != 4) return 0;
            }
            if (respond(fd) < 0) return -1;
            if (c->state != S_HEAD) return 0;
        } else return 0;
    }
}

static int respond(int fd) {
    conn_t *c = conns[fd];
    char h[2048];
    int hl;
    if (c->is_blob) {
        hl = snprintf(h, sizeof h, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        c->state = S_HEAD;
        return send_bytes(fd, h, (size_t)hl);
    }
    if (c->big_left > 0) {
        hl = snprintf(h, sizeof h, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %lld\r\n\r\n", c->big_left);
        c->state = S_BIG;
        if (send_bytes(fd, h, (size_t)hl) < 0) return -1;
        return flush_out(fd);
    }
    if (c->n > 0) {
        hl = snprintf(h, sizeof h, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n",
                      c->fmt ? "text/event-stream" : "application/x-ndjson");
        c->state = S_STREAM;
        c->start_ns = now_ns();
        if (c->phase_us >= 0 && c->gap_ms > 0) {
            /* The grid point at or before now: chunk k (k >= 1) then falls in (now, now + k*gap]. */
            uint64_t gap = (uint64_t)c->gap_ms * 1000000ull, phase = (uint64_t)c->phase_us * 1000ull % gap;
            uint64_t base = c->start_ns - c->start_ns % gap + phase;
            c->start_ns = base <= c->start_ns ? base : base - gap;
        }
        if (send_bytes(fd, h, (size_t)hl) < 0) return -1;
        if (send_chunk(fd) < 0) return -1;
        if (c->sent >= c->n) {
            if (c->hold_ms < 0) { c->state = S_HOLD; return 0; }
            if (c->hold_ms > 0) { c->state = S_HOLD; hpush(now_ns() + (uint64_t)c->hold_ms * 1000000ull, fd, c->gen); return 0; }
            return finish_stream(fd);
        }
        hpush(c->start_ns + (uint64_t)c->gap_ms * 1000000ull, fd, c->gen);
        return 0;
    }
    /* What Olla's health probes and model discovery ask an Ollama for. */
    const char *b = "Ollama is running";
    if (c->path_kind == 1)
        b = "{\"models\":[" MODEL("m:latest") "," MODEL("llama3.2:latest") "]}";
    else if (c->path_kind == 2) b = "{\"models\":[]}";
    else if (c->path_kind == 3) b = "{\"version\":\"0.5.7\"}";
    hl = snprintf(h, sizeof h, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(b), b);
    c->state = S_HEAD;
    return send_bytes(fd, h, (size_t)hl);
}

static void on_timer(tmr_t t) {
    conn_t *c = conns[t.fd];
    if (!c || !c->used || c->gen != t.gen) return;
    if (c->state == S_STREAM) {
        if (send_chunk(t.fd) < 0) return;
        if (c->sent >= c->n) {
            if (c->hold_ms < 0) { c->state = S_HOLD; return; }
            if (c->hold_ms > 0) { c->state = S_HOLD; hpush(now_ns() + (uint64_t)c->hold_ms * 1000000ull, t.fd, c->gen); return; }
            if (finish_stream(t.fd) < 0) return;
            process_input(t.fd);
            return;
        }
        hpush(c->start_ns + (uint64_t)c->sent * (uint64_t)c->gap_ms * 1000000ull, t.fd, c->gen);
    } else if (c->state == S_HOLD) {
        if (finish_stream(t.fd) < 0) return;
        process_input(t.fd);
    }
}

static void pump_big(int fd) {
    conn_t *c = conns[fd];
    while (c->big_left > 0 && c->outlen == 0) {
        size_t n = c->big_left < (long long)sizeof bigbuf ? (size_t)c->big_left : sizeof bigbuf;
        ssize_t w = write(fd, bigbuf, n);
        if (w < 0) { if (errno == EAGAIN) return; close_conn(fd, "write-error"); return; }
        c->big_left -= w;
    }
    if (c->big_left == 0) { c->state = S_HEAD; flush_out(fd); if (conns[fd]->used) process_input(fd); }
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: streamsrv PORT\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction usr1 = { .sa_handler = on_usr1 };   /* no SA_RESTART: epoll_wait returns */
    sigaction(SIGUSR1, &usr1, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    memset(bigbuf, 'x', sizeof bigbuf);
    conns = calloc(MAXFD, sizeof(conn_t *));
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1; setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 65535) < 0) { perror("bind/listen"); return 1; }
    ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event evs[512];
    for (;;) {
        int timeout = -1;
        if (hlen) { uint64_t n = now_ns(); timeout = heap[0].t <= n ? 0 : (int)((heap[0].t - n + 999999) / 1000000); }
        if (timeout < 0 || timeout > 50) timeout = 50;   /* a SIGUSR1 just before the wait */
        int k = epoll_wait(ep, evs, 512, timeout);
        if (release_held) {
            release_held = 0;
            for (int fd = 0; fd < MAXFD; fd++) {
                conn_t *c = conns[fd];
                if (c && c->used && c->state == S_HOLD && c->hold_ms < 0 && finish_stream(fd) == 0)
                    process_input(fd);
            }
        }
        if (k < 0) continue;
        for (int i = 0; i < k; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                for (;;) {
                    int cfd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
                    if (cfd < 0) break;
                    if (cfd >= MAXFD) { close(cfd); continue; }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    if (!conns[cfd]) conns[cfd] = calloc(1, sizeof(conn_t));
                    conn_t *c = conns[cfd];
                    uint32_t g = c->gen;
                    memset(c, 0, offsetof(conn_t, in));
                    c->gen = g + 1; c->used = 1; c->inlen = 0; c->id[0] = 0; c->out = NULL; c->outlen = c->outcap = c->outoff = 0; c->want_out = 0;
                    struct epoll_event cev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = cfd };
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
                }
                continue;
            }
            conn_t *c = conns[fd];
            if (!c || !c->used) continue;
            if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                int closed = 0;
                for (;;) {
                    if (c->inlen == INCAP) { /* discard: only bodies get this big */
                        if (c->state == S_BODY && !c->chunked_body) { c->inlen = 0; }
                        else break;
                    }
                    ssize_t r = read(fd, c->in + c->inlen, INCAP - c->inlen);
                    if (r == 0) { close_conn(fd, "eof"); closed = 1; break; }
                    if (r < 0) { if (errno == EAGAIN) break; close_conn(fd, "read-error"); closed = 1; break; }
                    c->inlen += (size_t)r;
                    if (c->state == S_HEAD || c->state == S_BODY) { if (process_input(fd) < 0) { closed = 1; break; } }
                    else if (c->inlen == INCAP) c->inlen = 0; /* unexpected data while answering */
                }
                if (closed) continue;
            }
            if (evs[i].events & EPOLLOUT) {
                if (flush_out(fd) < 0) continue;
                if (c->state == S_BIG) pump_big(fd);
            }
        }
        uint64_t n = now_ns();
        while (hlen && heap[0].t <= n) on_timer(hpop());
    }
}
