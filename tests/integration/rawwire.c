/*
 * tests/integration/rawwire.c -- build and read MongoDB wire messages over raw sockets.
 *
 * Message layout (MongoDB wire protocol): a 16-byte header (messageLength, requestID,
 * responseTo, opCode, little-endian int32s), then the opcode's payload.  OP_MSG: uint32
 * flagBits, sections (kind 0: one BSON document; kind 1: int32 size, cstring identifier,
 * BSON documents), optional CRC-32C of everything before it.  Used by one thread at a time.
 */
#include "rawwire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPLY (64u * 1024u * 1024u)

int
rw_connect(const char *host, int port)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16];
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(portstr, sizeof(portstr), "%d", port);
    if (getaddrinfo(host, portstr, &hints, &res) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *a = res; a != NULL; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return fd;
}

int
rw_send(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* read_full -- 1 read, 0 closed, -1 timeout. */
static int
read_full(int fd, uint8_t *buf, size_t len, int64_t deadline)
{
    while (len > 0) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        ssize_t n = recv(fd, buf, len, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE)))
            return 0;
        if (n < 0)
            return 0;
        buf += n;
        len -= (size_t)n;
    }
    return 1;
}

static int32_t
rd32(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void
wr32(uint8_t *p, int32_t v)
{
    memcpy(p, &v, 4);
}

int
rw_recv(int fd, int timeout_ms, uint8_t **msg, uint32_t *len)
{
    uint8_t hdr[16];
    int64_t deadline = now_ms() + timeout_ms;
    int r = read_full(fd, hdr, 4, deadline);
    if (r <= 0)
        return r;
    int32_t total = rd32(hdr);
    if (total < 16 || (uint32_t)total > MAX_REPLY)
        return -1;
    uint8_t *buf = malloc((size_t)total);
    if (buf == NULL)
        return -1;
    memcpy(buf, hdr, 4);
    r = read_full(fd, buf + 4, (size_t)total - 4, deadline);
    if (r <= 0) {
        free(buf);
        return r;
    }
    *msg = buf;
    *len = (uint32_t)total;
    return 1;
}

static uint32_t crc_table[256];

uint32_t
rw_crc32c(const uint8_t *buf, size_t len)
{
    if (crc_table[1] == 0) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            crc_table[i] = c;
        }
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        crc = crc_table[(crc ^ buf[i]) & 0xFFu] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

uint8_t *
rw_opmsg(int32_t request_id, uint32_t flags, const bson_t *body, const char *ident,
         const bson_t *const *docs, int ndocs, uint32_t *len)
{
    size_t seq = 0;
    if (ident != NULL) {
        seq = 1 + 4 + strlen(ident) + 1;
        for (int i = 0; i < ndocs; i++)
            seq += docs[i]->len;
    }
    size_t total = 16 + 4 + 1 + body->len + seq + ((flags & RW_FLAG_CHECKSUM) ? 4 : 0);
    uint8_t *m = malloc(total), *p = m;
    if (m == NULL)
        abort();
    wr32(p, (int32_t)total);
    wr32(p + 4, request_id);
    wr32(p + 8, 0);
    wr32(p + 12, RW_OP_MSG);
    wr32(p + 16, (int32_t)flags);
    p += 20;
    *p++ = 0;
    memcpy(p, bson_get_data(body), body->len);
    p += body->len;
    if (ident != NULL) {
        *p++ = 1;
        wr32(p, (int32_t)(seq - 1));
        p += 4;
        memcpy(p, ident, strlen(ident) + 1);
        p += strlen(ident) + 1;
        for (int i = 0; i < ndocs; i++) {
            memcpy(p, bson_get_data(docs[i]), docs[i]->len);
            p += docs[i]->len;
        }
    }
    if (flags & RW_FLAG_CHECKSUM) {
        uint32_t crc = rw_crc32c(m, (size_t)(p - m));
        memcpy(p, &crc, 4);
        p += 4;
    }
    *len = (uint32_t)total;
    return m;
}

uint8_t *
rw_opquery(int32_t request_id, const char *ns, const bson_t *query, uint32_t *len)
{
    size_t total = 16 + 4 + strlen(ns) + 1 + 4 + 4 + query->len;
    uint8_t *m = malloc(total), *p = m;
    if (m == NULL)
        abort();
    wr32(p, (int32_t)total);
    wr32(p + 4, request_id);
    wr32(p + 8, 0);
    wr32(p + 12, RW_OP_QUERY);
    wr32(p + 16, 0);
    p += 20;
    memcpy(p, ns, strlen(ns) + 1);
    p += strlen(ns) + 1;
    wr32(p, 0);
    wr32(p + 4, -1);
    p += 8;
    memcpy(p, bson_get_data(query), query->len);
    *len = (uint32_t)total;
    return m;
}

void
rw_header(const uint8_t *msg, int32_t *length, int32_t *request_id, int32_t *response_to,
          int32_t *opcode)
{
    if (length != NULL)
        *length = rd32(msg);
    if (request_id != NULL)
        *request_id = rd32(msg + 4);
    if (response_to != NULL)
        *response_to = rd32(msg + 8);
    if (opcode != NULL)
        *opcode = rd32(msg + 12);
}

bool
rw_opmsg_body(const uint8_t *msg, uint32_t len, bson_t *body, uint32_t *flags)
{
    if (len < 16 + 4 + 1 + 5 || rd32(msg + 12) != RW_OP_MSG)
        return false;
    uint32_t f = (uint32_t)rd32(msg + 16);
    uint32_t end = len;
    if (f & RW_FLAG_CHECKSUM) {
        uint32_t want;
        end -= 4;
        memcpy(&want, msg + end, 4);
        if (rw_crc32c(msg, end) != want)
            return false;
    }
    if (flags != NULL)
        *flags = f;
    uint32_t off = 20;
    bool have_body = false;
    while (off < end) {
        uint8_t kind = msg[off++];
        if (off + 4 > end)
            return false;
        int32_t sz = rd32(msg + off);
        if (sz < 5 || off + (uint32_t)sz > end)
            return false;
        if (kind == 0) {
            if (have_body || !bson_init_static(body, msg + off, (size_t)sz))
                return false;
            have_body = true;
        } else if (kind != 1) {
            return false;
        }
        off += (uint32_t)sz;
    }
    return have_body && off == end && bson_validate(body, BSON_VALIDATE_NONE, NULL);
}

bool
rw_opreply_doc(const uint8_t *msg, uint32_t len, bson_t *doc, int32_t *nreturned)
{
    if (len < 16 + 20 + 5 || rd32(msg + 12) != RW_OP_REPLY)
        return false;
    if (nreturned != NULL)
        *nreturned = rd32(msg + 32);
    int32_t sz = rd32(msg + 36);
    if (sz < 5 || 36 + (uint32_t)sz > len)
        return false;
    return bson_init_static(doc, msg + 36, (size_t)sz) &&
           bson_validate(doc, BSON_VALIDATE_NONE, NULL);
}

int
rw_roundtrip(int fd, const bson_t *body, bson_t *reply)
{
    static int32_t next_id = 1000;
    uint32_t len;
    uint8_t *m = rw_opmsg(next_id++, 0, body, NULL, NULL, 0, &len);
    int sent = rw_send(fd, m, len);
    free(m);
    bson_init(reply);
    if (sent != 0)
        return 0;
    uint8_t *r;
    uint32_t rlen;
    int got = rw_recv(fd, RW_TIMEOUT_MS, &r, &rlen);
    if (got != 1)
        return got;
    bson_t b;
    int rc = -1;
    if (rw_opmsg_body(r, rlen, &b, NULL)) {
        bson_concat(reply, &b);
        rc = 1;
    }
    free(r);
    return rc;
}
