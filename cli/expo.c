#include "expo.h"
#include "textsafe.h"

#include <math.h>
#include <string.h>

void expo_family(struct expo *e, const char *name, const char *type, const char *help)
{
	if (e->text != NULL && fprintf(e->text, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
				       type) < 0)
		e->bad = 1;
}

/* A label value: control characters and invalid UTF-8 made visible
 * (otp_text_show), then the format's escapes for '\' and '"'. */
static void label_value(FILE *f, const char *v)
{
	char shown[OTP_TEXT_SHOW_SIZE(256)];

	(void)otp_text_show(shown, sizeof(shown), v);
	for (const char *p = shown; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		fputc(*p, f);
	}
}

static void text_labels(struct expo *e, const char *name, const char *const *labels,
			int nlabels)
{
	fputs(name, e->text);
	for (int i = 0; i < nlabels; i++) {
		fprintf(e->text, "%c%s=\"", i == 0 ? '{' : ',', labels[2 * i]);
		label_value(e->text, labels[2 * i + 1]);
		fputc('"', e->text);
	}
	if (nlabels > 0)
		fputc('}', e->text);
}

static void json_add(struct expo *e, const char *name, const char *const *labels, int nlabels,
		     json_t *value)
{
	json_t *l = json_object();

	for (int i = 0; l != NULL && i < nlabels; i++) {
		char shown[OTP_TEXT_SHOW_SIZE(256)];

		(void)otp_text_show(shown, sizeof(shown), labels[2 * i + 1]);
		if (json_object_set_new(l, labels[2 * i], json_string(shown)) != 0)
			e->bad = 1;
	}
	if (json_array_append_new(e->json, json_pack("{s:s,s:o,s:o}", "name", name, "labels", l,
						     "value", value)) != 0)
		e->bad = 1;
}

void expo_sample(struct expo *e, const char *name, const char *const *labels, int nlabels,
		 double value)
{
	if (e->text != NULL) {
		text_labels(e, name, labels, nlabels);
		/* whole numbers (sizes, times) exactly, others to double precision */
		if (isnan(value))
			fputs(" NaN\n", e->text);
		else if (fprintf(e->text, value >= 0 && value < 9007199254740992.0 &&
				 value == (double)(uint64_t)value ? " %.0f\n" : " %.17g\n",
				 value) < 0)
			e->bad = 1;
	}
	if (e->json != NULL)  /* JSON has no NaN: null */
		json_add(e, name, labels, nlabels, isnan(value) ? json_null() : json_real(value));
}

void expo_sample_u64(struct expo *e, const char *name, const char *const *labels, int nlabels,
		     uint64_t value)
{
	if (e->text != NULL) {
		text_labels(e, name, labels, nlabels);
		if (fprintf(e->text, " %llu\n", (unsigned long long)value) < 0)
			e->bad = 1;
	}
	if (e->json != NULL)
		json_add(e, name, labels, nlabels, json_integer((json_int_t)value));
}
