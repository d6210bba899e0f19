/*
 * src/worker/tls.h -- TLS on client connections (OpenSSL), driven by the connection's events.
 *
 * Every connection starts in WK_TLS_SNIFF: the first 16 bytes (a wire header) are peeked, and
 * a header whose responseTo is neither 0 nor -1 is a TLS ClientHello, as mongod decides.
 * Depending on --tlsMode the connection then goes plaintext (WK_TLS_PLAIN), starts the
 * handshake (WK_TLS_HANDSHAKE, non-blocking SSL_accept driven by the read event, or by the
 * write event when OpenSSL wants to write) or is refused.  Once WK_TLS_OPEN, conn.c reads and
 * writes through wk_tls_read / wk_tls_write instead of read / send.  The SSL_CTX is built once
 * per process (wk_tls_init) from the options; each worker builds its own after exec.
 * Event-loop thread only; the per-connection state lives in wk_conn_t (conn.h).
 */
#ifndef WK_TLS_H
#define WK_TLS_H

#include "../common/config.h"

#include <bson/bson.h>
#include <sys/types.h>

struct wk_conn;

/* wk_conn_t.tls_phase */
#define WK_TLS_SNIFF 0     /* nothing read yet: TLS or plaintext is still to be decided */
#define WK_TLS_HANDSHAKE 1 /* SSL_accept under way */
#define WK_TLS_PLAIN 2     /* plaintext connection */
#define WK_TLS_OPEN 3      /* TLS connection, handshake done */

/* wk_tls_start results besides 0 (ready: PLAIN or OPEN) and -1 (close the connection; the
 * reason is logged with the peer). */
#define WK_TLS_WANT_READ 1
#define WK_TLS_WANT_WRITE 2

/* wk_tls_check -- load and check the certificates the options name (start-up, before the master
 * starts: main.c), so that a bad file, a wrong password or an expired certificate exits 2 at
 * once.  Prints the reason on stderr.  0 when TLS is disabled. */
int wk_tls_check(const sdb_config_t *cfg);

/* wk_tls_init -- build this worker's SSL context (after exec); 0, or 2 after logging why.
 * Nothing to do when TLS is disabled. */
int wk_tls_init(const sdb_config_t *cfg);

/* wk_tls_shutdown -- free this process's SSL context (orderly worker exit). */
void wk_tls_shutdown(void);

/* wk_tls_start -- advance a connection in WK_TLS_SNIFF or WK_TLS_HANDSHAKE: 0 when it can
 * carry messages, WK_TLS_WANT_READ / WK_TLS_WANT_WRITE to wait for that event, -1 to close. */
int wk_tls_start(struct wk_conn *c);

/* wk_tls_read, wk_tls_write -- read(2) / send(2) alike on an open TLS connection: the byte
 * count, 0 at the peer's close (read), or -1 with errno EAGAIN (try again on an event) or
 * another errno (close).  A write that returned EAGAIN must be retried with the same bytes
 * first (more may follow them). */
ssize_t wk_tls_read(struct wk_conn *c, void *buf, size_t len);
ssize_t wk_tls_write(struct wk_conn *c, const void *buf, size_t len);

/* wk_tls_pending -- whether OpenSSL holds bytes not yet returned (decrypted or read ahead from
 * the socket): no event will say so, so the reader keeps reading while this is true. */
bool wk_tls_pending(const struct wk_conn *c);

/* wk_tls_free -- send close_notify (best effort) and free the connection's TLS state. */
void wk_tls_free(struct wk_conn *c);

/* wk_tls_peer_subject -- the verified client certificate's subject in RFC 2253 form
 * ("CN=client,OU=test,O=Secantus,..."), or NULL: plaintext, no certificate, or one accepted
 * only through --tlsAllowInvalidCertificates.  Owned by the connection (MONGODB-X509). */
const char *wk_tls_peer_subject(const struct wk_conn *c);

/* wk_tls_server_status -- append serverStatus' transportSecurity (TLS connections accepted by
 * protocol version, summed over workers) to `reply`. */
void wk_tls_server_status(bson_t *reply);

/* wk_tls_security_append -- append the TLS fields of serverStatus' security section
 * (SSLServerSubjectName, SSLServerHasCertificateAuthority, SSLServerCertificateExpirationDate)
 * to an open `security` document; nothing when TLS is disabled. */
void wk_tls_security_append(bson_t *security);

#endif
