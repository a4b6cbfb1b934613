/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cookie.c - the cold half of the cookie module: secret generation, rotation
 * and MSS table set-up. The per-packet functions are inline in cookie.h.
 *
 * Keys come from the kernel's CSPRNG. getrandom(2) is asked without blocking
 * (an appliance that boots into a SYN flood must not hang on an entropy pool
 * that is still filling); if it is unavailable or refuses, /dev/urandom is
 * read instead. Only if both fail do we report an error - never a weak key.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <rte_atomic.h>
#include <rte_common.h>

#include "syncookie/cookie.h"

static const uint16_t cookie_default_mss[] = {
	536, 1220, 1330, 1360, 1400, 1440, 1452, 1460,
};

static int
urandom_fill(void *buf, size_t len)
{
	uint8_t *p = buf;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t r = read(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	close(fd);
	return 0;
}

int
cookie_random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t left = len;

	while (left > 0) {
		ssize_t r = getrandom(p, left, GRND_NONBLOCK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return urandom_fill(buf, len);
		p += r;
		left -= (size_t)r;
	}
	return 0;
}

int
cookie_secrets_init(struct cookie_secrets *s, uint32_t period_sec, uint32_t now_sec)
{
	uint32_t t;
	int d;

	if (s == NULL || period_sec == 0)
		return -1;
	memset(s, 0, sizeof(*s));
	s->period = period_sec;
	t = now_sec / period_sec;
	/*
	 * All four slots get a random key so even a stray read never sees a
	 * zero key, but only t - 1, t and t + 1 are marked as made for their
	 * period: the fourth (t + 2) is marked stale, so the first rotate() of
	 * period t + 1 replaces it.
	 */
	if (cookie_random_bytes(s->key, sizeof(s->key)) < 0) {
		memset(s, 0, sizeof(*s));
		return -1;
	}
	for (d = -1; d <= 1; d++)
		s->gen[(t + (uint32_t)d) & 3] = t + (uint32_t)d;
	s->gen[(t + 2) & 3] = t - 2;
	rte_smp_wmb();
	return 0;
}

int
cookie_secrets_rotate(struct cookie_secrets *s, uint32_t now_sec)
{
	uint32_t next, slot;
	uint64_t key[2];

	if (s == NULL || s->period == 0)
		return -1;
	next = now_sec / s->period + 1;
	slot = next & 3;
	if (__atomic_load_n(&s->gen[slot], __ATOMIC_ACQUIRE) == next)
		return 0;
	if (cookie_random_bytes(key, sizeof(key)) < 0)
		return -1;
	/* Nobody reads this slot before period next starts (see cookie.h). */
	s->key[slot][0] = key[0];
	s->key[slot][1] = key[1];
	rte_smp_wmb();
	__atomic_store_n(&s->gen[slot], next, __ATOMIC_RELEASE);
	memset(key, 0, sizeof(key));
	return 1;
}

int
cookie_mss_table_init(struct cookie_mss_table *tbl, const uint16_t *mss, unsigned int n)
{
	unsigned int i;

	if (tbl == NULL || mss == NULL || n == 0 || n > COOKIE_MSS_MAX || mss[0] == 0)
		return -1;
	for (i = 1; i < n; i++)
		if (mss[i] <= mss[i - 1])
			return -1;
	memset(tbl, 0, sizeof(*tbl));
	memcpy(tbl->mss, mss, n * sizeof(mss[0]));
	tbl->n = (uint8_t)n;
	return 0;
}

void
cookie_mss_table_default(struct cookie_mss_table *tbl)
{
	cookie_mss_table_init(tbl, cookie_default_mss, RTE_DIM(cookie_default_mss));
}
