#include "countmap.h"

#include <stdlib.h>
#include <string.h>

#define NSLOTS 131072  /* a power of 2 above COUNTMAP_MAX: probes stay short */

int countmap_init(struct countmap *m)
{
	memset(m, 0, sizeof(*m));
	m->slots = calloc(NSLOTS, sizeof(*m->slots));
	if (m->slots == NULL)
		return -1;
	m->nslots = NSLOTS;
	return 0;
}

static uint64_t hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;  /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

void countmap_add(struct countmap *m, const char *name, uint64_t n, uint64_t t)
{
	size_t i = (size_t)hash(name) & (m->nslots - 1);

	while (m->slots[i].name != NULL && strcmp(m->slots[i].name, name) != 0)
		i = (i + 1) & (m->nslots - 1);
	if (m->slots[i].name == NULL) {
		if (m->n >= COUNTMAP_MAX || (m->slots[i].name = strdup(name)) == NULL) {
			m->overflow += n;
			m->overflow_names++;
			return;
		}
		m->n++;
	}
	m->slots[i].count += n;
	if (t > m->slots[i].last)
		m->slots[i].last = t;
}

static int before(const struct countmap_entry *a, const struct countmap_entry *b)
{
	return a->count > b->count || (a->count == b->count && strcmp(a->name, b->name) < 0);
}

size_t countmap_top(const struct countmap *m, const struct countmap_entry **out, size_t k)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nslots && k > 0; i++) {
		const struct countmap_entry *e = &m->slots[i];
		size_t j;

		if (e->name == NULL || (n == k && !before(e, out[n - 1])))
			continue;
		j = n < k ? n++ : n - 1;  /* insertion into the sorted top k */
		while (j > 0 && before(e, out[j - 1])) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = e;
	}
	return n;
}

void countmap_free(struct countmap *m)
{
	for (size_t i = 0; m->slots != NULL && i < m->nslots; i++)
		free(m->slots[i].name);
	free(m->slots);
	m->slots = NULL;
}
