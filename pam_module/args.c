#include "args.h"
#include "config.h"

#include <string.h>

static int add_override(struct module_args *a, const char *kv)
{
	if (a->noverrides >= ARGS_OVERRIDES_MAX)
		return -1;
	a->overrides[a->noverrides++] = kv;
	return 0;
}

int parse_args(int argc, const char **argv, struct module_args *a)
{
	memset(a, 0, sizeof(*a));
	a->config = OTP_DEFAULT_CONFIG;
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];
		int rc = 0;

		if (strncmp(s, "config=", 7) == 0 && s[7] != '\0')
			a->config = s + 7;
		else if (strcmp(s, "nullok") == 0)
			rc = add_override(a, "nullok=true");
		else if (strcmp(s, "authfail") == 0)
			a->authfail = 1;
		else if (strcmp(s, "debug") == 0)
			a->debug = 1;
		else if (strcmp(s, "use_first_pass") == 0)
			a->use_first_pass = 1;
		else if (strcmp(s, "try_first_pass") == 0)
			a->try_first_pass = 1;
		else if (strcmp(s, "nodelay") == 0)
			a->nodelay = 1;
		else if (strchr(s, '=') != NULL)
			rc = add_override(a, s);
		else
			rc = -1;
		if (rc != 0) {
			a->bad = s;
			return -1;
		}
	}
	return 0;
}
