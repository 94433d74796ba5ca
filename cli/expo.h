/*
 * expo.h - metrics in the Prometheus text exposition format (version
 * 0.0.4), or the same samples as JSON for --json.
 */
#ifndef OTPCTL_EXPO_H
#define OTPCTL_EXPO_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

struct expo {
	FILE *text;   /* the text format goes here (NULL: none) */
	json_t *json; /* an array of {"name","labels","value"} (NULL: none) */
	int bad;      /* a write or an allocation failed */
};

/* expo_family - the HELP and TYPE lines that start a metric family;
 * type is "counter" or "gauge". */
void expo_family(struct expo *e, const char *name, const char *type, const char *help);

/*
 * expo_sample - one sample of name: nlabels pairs (labels[2i] the label
 * name, labels[2i + 1] its value: any text, escaped here) and the value.
 * expo_sample_u64 writes a count exactly (no float rounding).
 */
void expo_sample(struct expo *e, const char *name, const char *const *labels, int nlabels,
		 double value);
void expo_sample_u64(struct expo *e, const char *name, const char *const *labels, int nlabels,
		     uint64_t value);

#endif
