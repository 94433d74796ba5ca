/*
 * countmap.h - counts by name (remote hosts, users) for otpctl stats, in a
 * bounded hash table: names past COUNTMAP_MAX are counted together, so a
 * trail naming millions of sources costs bounded memory.
 */
#ifndef OTPCTL_COUNTMAP_H
#define OTPCTL_COUNTMAP_H

#include <stddef.h>
#include <stdint.h>

#define COUNTMAP_MAX 100000   /* names kept */

struct countmap_entry {
	char *name;           /* malloc'd */
	uint64_t count;
	uint64_t last;        /* newest time added, seconds since the epoch */
};

struct countmap {
	struct countmap_entry *slots;  /* open addressing, nslots a power of 2 */
	size_t nslots, n;
	uint64_t overflow;             /* counts of names that found no room */
	size_t overflow_names;         /* additions that found no room */
};

/* countmap_init - an empty map. Returns 0, or -1 when out of memory. */
int countmap_init(struct countmap *m);

/* countmap_add - add n to name's count (time t); a new name past
 * COUNTMAP_MAX (or when out of memory) goes to m->overflow. */
void countmap_add(struct countmap *m, const char *name, uint64_t n, uint64_t t);

/* countmap_top - the k largest counts, largest first (ties by name), into
 * out (room for k); returns how many. The entries point into m. */
size_t countmap_top(const struct countmap *m, const struct countmap_entry **out, size_t k);

/* countmap_free - release m's memory. */
void countmap_free(struct countmap *m);

#endif
