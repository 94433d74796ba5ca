#include "ctl.h"
#include "err.h"
#include "hosts.h"

#include <getopt.h>
#include <stdio.h>

#define HOSTS_SHOWN 1000

static int list(struct ctl *c, const char *user)
{
	static struct otp_host_entry hosts[HOSTS_SHOWN];
	uint64_t now = otp_now();
	char t1[32], t2[32], host[CTL_SHOW_SIZE];
	unsigned n = 0;
	int rc = otp_host_list(c->st, user, hosts, HOSTS_SHOWN, &n);

	if (rc != OTP_OK)
		return ctl_err(c, rc, "hosts");
	if (c->json) {
		json_t *arr = json_array();

		for (unsigned i = 0; i < n && arr != NULL; i++) {
			if (json_array_append_new(arr, json_pack("{s:o,s:o,s:o,s:b}", "host",
				ctl_jstr(hosts[i].host), "remembered", ctl_jtime(hosts[i].rec.created),
				"until", ctl_jtime(hosts[i].rec.until), "expired",
				hosts[i].rec.until <= now)) != 0) {
				json_decref(arr);  /* no host goes missing: all or an error */
				arr = NULL;
			}
		}
		return ctl_json_print(json_pack("{s:s,s:o}", "user", user, "hosts", arr));
	}
	printf("%-40s %-20s %s\n", "HOST", "REMEMBERED", "UNTIL");
	for (unsigned i = 0; i < n; i++)
		printf("%-40s %-20s %s%s\n", ctl_show(hosts[i].host, host, sizeof(host)),
		       ctl_time(hosts[i].rec.created, t1, sizeof(t1)),
		       ctl_time(hosts[i].rec.until, t2, sizeof(t2)),
		       hosts[i].rec.until <= now ? " (expired)" : "");
	return 0;
}

int cmd_hosts(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "revoke", required_argument, NULL, 'r' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *host = NULL;
	struct otp_login who;
	unsigned count = 0;
	int opt, all = 0, rc;

	while ((opt = ctl_getopt(argc, argv, "", longopts)) != -1) {
		if (opt == 'r')
			host = optarg;
		else if (opt == 'a')
			all = 1;
		else
			return ctl_usage(c, EX_USAGE_);
	}
	if (optind != argc - 1 || (host && all))
		return ctl_usage(c, EX_USAGE_);
	rc = ctl_check_user(c, argv[optind]);
	if (rc == 0)
		rc = ctl_open(c, 0);
	if (rc == 0)
		rc = ctl_enrolled(c, argv[optind]);
	if (rc != 0)
		return rc;
	if (!host && !all)
		return list(c, argv[optind]);
	ctl_who(&who, argv[optind]);
	rc = otp_host_revoke(c->st, &c->cfg, &who, host, &count);
	if (rc != OTP_OK)
		return ctl_err(c, rc, "hosts");
	if (c->json)
		return ctl_json_print(json_pack("{s:s,s:i}", "user", argv[optind], "revoked", (int)count));
	printf("%u remembered host%s of %s forgotten\n", count, count == 1 ? "" : "s", argv[optind]);
	return 0;
}
