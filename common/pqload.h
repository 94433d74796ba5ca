/*
 * pqload.h - libpq, loaded the first time a PostgreSQL store needs it.
 *
 * pam_otp.so and otpctl are not linked with libpq: it would bring some
 * twenty libraries into every process that loads the module (libssl,
 * GnuTLS, Kerberos, LDAP, SASL, p11-kit, and the constructors they run),
 * about 6 ms in a fresh process such as sshd's or sudo's, paid by every
 * login of an LMDB store, which never calls libpq. Instead libotp defines
 * the libpq functions the PostgreSQL engine calls (with the prototypes of
 * <libpq-fe.h>, hidden outside libotp's users); each hands over to
 * libpq's own, loaded with dlopen("libpq.so.5") on the first call of any
 * of them, once per process, from any thread.
 *
 * When libpq cannot be loaded, those functions fail the way libpq fails
 * when it is out of memory (NULL, 0, -1, CONNECTION_BAD, PGRES_FATAL_ERROR),
 * which the engine already treats as a store error; PQconninfoParse, which
 * every PostgreSQL spec goes through first, also sets its error message to
 * the reason ("libpq.so.5: cannot be loaded (...)"), as otp_pq_load does.
 */
#ifndef OTP_PQLOAD_H
#define OTP_PQLOAD_H

/*
 * otp_pq_load - load libpq now unless it is loaded already. Safe from
 * many threads at once; a failure is tried again at the next call.
 * Returns OTP_OK, or OTP_ESTORE with the detail "libpq.so.5: ..." (the
 * loader's reason: not installed, or a symbol missing).
 */
int otp_pq_load(void);

#endif
