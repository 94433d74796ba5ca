/*
 * net.h - CIDR networks and numeric address matching for trusted_networks
 * and remember_host. Only numeric addresses ever match: a host name in
 * PAM_RHOST could be made to resolve anywhere.
 */
#ifndef OTP_NET_H
#define OTP_NET_H

#include <stdint.h>

struct otp_cidr {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network address, host bits cleared */
	unsigned prefix;   /* 0..32 or 0..128 */
};

/*
 * otp_cidr_parse - "192.0.2.0/24", "2001:db8::/32", or a bare address
 * (a /32 or /128). Host bits set below the prefix are an error: a typo
 * there usually means the administrator meant another network.
 * Returns OTP_OK or OTP_EINVAL.
 */
int otp_cidr_parse(const char *text, struct otp_cidr *out);

/*
 * otp_addr_parse - a numeric IPv4 or IPv6 address (an IPv4-mapped IPv6
 * address is taken as the IPv4 one) into family and 4 or 16 bytes.
 * Returns OTP_OK, or OTP_EINVAL for anything else, host names included.
 */
int otp_addr_parse(const char *text, int *family, uint8_t addr[16]);

/* otp_cidr_match - nonzero when the numeric address text lies in c. */
int otp_cidr_match(const struct otp_cidr *c, const char *text);

#endif
