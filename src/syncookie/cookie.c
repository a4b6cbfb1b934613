/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cookie.c - the cold half of the cookie module: secret generation, rotation
 * and MSS table set-up. The per-packet functions are inline in cookie.h.
 *
 * Keys come from the kernel's CSPRNG. getrandom(2) is asked without blocking
 * (an appliance that boots into a SYN flood must not hang on an entropy pool
 * that is still filling); if it is unavailable or refuses, /dev/urandom is
 * read instead. Only if both fail do we report an error - never a weak key.
 *
 * With a shared key (cookie.h, "Shared key") a slot's key is derived from the
 * master and the period counter instead, so it can be (re)made at any time
 * and every holder of the key makes the same one.
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
	s->period_m = cookie_period_magic(period_sec);
	t = now_sec / period_sec;
	/*
	 * All four slots get a random key so even a stray read never sees a
	 * zero key, but only t - 1, t and t + 1 are marked as made for their
	 * period: the fourth (t + 2) is marked stale, so the first rotate() of
	 * period t + 1 replaces it.
	 */
	if (cookie_random_bytes(s->key, sizeof(s->key)) < 0) {
		explicit_bzero(s, sizeof(*s));
		return -1;
	}
	for (d = -1; d <= 1; d++)
		s->gen[(t + (uint32_t)d) & 3] = t + (uint32_t)d;
	s->gen[(t + 2) & 3] = t - 2;
	rte_smp_wmb();
	return 0;
}

/* The per-period derivation label (two little-endian words). */
static const uint8_t derive_label[16] = "dpdk-synproxy/c1";

/* The shared-key secret of period t (see cookie.h). */
static void
derive_period_key(const struct cookie_secrets *s, uint32_t t, uint64_t out[2])
{
	uint64_t w[4];

	w[0] = siphash24_load_le64(derive_label);
	w[1] = siphash24_load_le64(derive_label + 8);
	w[2] = t;
	for (unsigned int i = 0; i < 2; i++) {
		w[3] = i;
		out[i] = siphash24_words(&s->master[0], w, 4) ^ siphash24_words(&s->master[2], w, 4);
	}
}

/*
 * Make slot t & 3 hold the key of period t. 1 if written, 0 if it already
 * did, -1 if the random source failed. The caller guarantees no worker reads
 * the slot meanwhile (see cookie.h).
 */
static int
ensure_slot(struct cookie_secrets *s, uint32_t t)
{
	uint32_t slot = t & 3;
	uint64_t key[2];

	if (__atomic_load_n(&s->gen[slot], __ATOMIC_ACQUIRE) == t)
		return 0;
	if (s->keyed)
		derive_period_key(s, t, key);
	else if (cookie_random_bytes(key, sizeof(key)) < 0)
		return -1;
	s->key[slot][0] = key[0];
	s->key[slot][1] = key[1];
	rte_smp_wmb();
	__atomic_store_n(&s->gen[slot], t, __ATOMIC_RELEASE);
	explicit_bzero(key, sizeof(key));
	return 1;
}

int
cookie_secrets_init_keyed(struct cookie_secrets *s, uint32_t period_sec,
			  const uint8_t master[32], uint32_t now_sec, uint32_t wall_sec)
{
	uint32_t t;

	if (s == NULL || period_sec == 0 || master == NULL)
		return -1;
	memset(s, 0, sizeof(*s));
	s->period = period_sec;
	s->period_m = cookie_period_magic(period_sec);
	s->keyed = 1;
	s->age_ok_extra = 0x8;
	for (int i = 0; i < 4; i++)
		s->master[i] = siphash24_load_le64(master + 8 * i);
	s->clock_offset = wall_sec - now_sec;
	t = cookie_period_counter(s, now_sec);
	/* No worker runs yet: all four slots, t - 1 .. t + 2, at once. The
	 * gen[] marks are primed to a value none of them equals. */
	for (int d = 0; d < 4; d++)
		s->gen[(t - 1 + (uint32_t)d) & 3] = t + 3;
	for (int d = -1; d <= 2; d++)
		ensure_slot(s, t + (uint32_t)d);
	rte_smp_wmb();
	return 0;
}

int
cookie_secrets_rotate(struct cookie_secrets *s, uint32_t now_sec)
{
	uint32_t now, t;
	int ret = 0;

	if (s == NULL || s->period == 0)
		return -1;
	if (!s->keyed)
		/* Nobody reads this slot before period t + 1 starts (see cookie.h). */
		return ensure_slot(s, now_sec / s->period + 1);
	now = now_sec + s->clock_offset;
	t = now / s->period;
	/* t - 1 .. t + 1 are normally there already (init, set_clock). */
	for (int d = -1; d <= 1; d++)
		ret |= ensure_slot(s, t + (uint32_t)d);
	/* t + 2 shares its slot with t - 2: wait until period t is a second old. */
	if (now % s->period >= 1)
		ret |= ensure_slot(s, t + 2);
	return ret < 0 ? -1 : ret;
}

int
cookie_secrets_set_clock(struct cookie_secrets *s, uint32_t now_sec, uint32_t wall_sec)
{
	uint32_t off, t;
	int32_t moved;

	if (s == NULL || s->period == 0)
		return -1;
	if (!s->keyed)
		return 0;
	off = wall_sec - now_sec;
	moved = (int32_t)(off - s->clock_offset);
	/* Both clocks are read in whole seconds: +-1 is rounding, not a step. */
	if (moved >= -1 && moved <= 1)
		return 0;
	t = (now_sec + off) / s->period;
	for (int d = -1; d <= 1; d++)
		ensure_slot(s, t + (uint32_t)d);
	rte_smp_wmb();
	__atomic_store_n(&s->clock_offset, off, __ATOMIC_RELEASE);
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
