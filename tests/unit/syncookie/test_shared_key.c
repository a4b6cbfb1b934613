/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_shared_key.c - the shared cookie key: the key file's checks (on real
 * temporary files), the extraction, and two or more "boxes" (secret sets with
 * their own TSC clocks) that validate each other's cookies across rotations
 * and within one period of clock skew, but not with a different key, nor with
 * a clock two periods off until the clock is put right.
 *
 * Inputs come from a seeded PRNG: a failure is a bug, never bad luck.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "flow/flow_key.h"
#include "syncookie/cookie.h"
#include "syncookie/keyfile.h"

#define P 64                          /* cookie period, seconds */
#define WALL0 UINT32_C(1795000000)    /* a wall-clock second in 2026 */

static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void
random_flow(struct flow_key *k)
{
	if (rng() & 1) {
		uint32_t a[4], b[4];

		for (int i = 0; i < 4; i++) {
			a[i] = (uint32_t)rng();
			b[i] = (uint32_t)rng();
		}
		flow_key_v6(k, a, b, (uint16_t)rng(), (uint16_t)rng(), 6);
	} else {
		flow_key_v4(k, (uint32_t)rng(), (uint32_t)rng(), (uint16_t)rng(),
			    (uint16_t)rng(), 6);
	}
}

/* ---- key files ---- */

static char dir[64];
static char err[256];

static int
setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sp-keytest.XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
remove_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write len bytes (a pattern, or random) to dir/name with the given mode. */
static const char *
key_file(const char *name, size_t len, mode_t mode, uint8_t fill)
{
	static char path[128];
	uint8_t buf[4096];
	int fd;

	assert_true(len <= sizeof(buf));
	for (size_t i = 0; i < len; i++)
		buf[i] = fill ? fill : (uint8_t)rng();
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void
expect_refused(const char *path, const char *why)
{
	uint8_t m[KEYFILE_MASTER_LEN];

	err[0] = '\0';
	assert_int_equal(keyfile_load(path, m, err, sizeof(err)), -1);
	if (strstr(err, why) == NULL) {
		print_error("expected \"%s\" in \"%s\"\n", why, err);
		fail();
	}
}

static void
test_keyfile_good(void **state)
{
	uint8_t m1[KEYFILE_MASTER_LEN], m2[KEYFILE_MASTER_LEN], raw[64];
	const char *path;
	int fd;

	(void)state;
	rng_state = 1;
	path = key_file("good", 64, 0600, 0);
	fd = open(path, O_RDONLY);
	assert_int_equal(read(fd, raw, sizeof(raw)), 64);
	close(fd);
	assert_int_equal(keyfile_load(path, m1, err, sizeof(err)), 0);
	/* The master is the extraction of the file's bytes, deterministic. */
	assert_int_equal(keyfile_extract(raw, sizeof(raw), m2), 0);
	assert_memory_equal(m1, m2, sizeof(m1));
	assert_int_equal(keyfile_load(path, m2, err, sizeof(err)), 0);
	assert_memory_equal(m1, m2, sizeof(m1));
	/* Every byte counts: one flipped past byte 32 gives another master. */
	raw[50] ^= 1;
	assert_int_equal(keyfile_extract(raw, sizeof(raw), m2), 0);
	assert_memory_not_equal(m1, m2, sizeof(m1));
	/* And the master is not the file's head. */
	assert_memory_not_equal(m1, raw, sizeof(m1));

	/* Read-only for the owner, and the exact bounds, are fine. */
	assert_int_equal(keyfile_load(key_file("ro", 32, 0400, 0), m1, err, sizeof(err)), 0);
	assert_int_equal(keyfile_load(key_file("max", KEYFILE_MAX, 0600, 0), m1, err,
				      sizeof(err)), 0);
	assert_int_equal(keyfile_extract(raw, 31, m1), -1);
	assert_int_equal(keyfile_extract(NULL, 32, m1), -1);
}

static void
test_keyfile_permissions(void **state)
{
	static const mode_t bad[] = { 0640, 0604, 0620, 0602, 0644, 0660, 0666, 0610, 0601 };
	char want[32];

	(void)state;
	rng_state = 2;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *path = key_file("perm", 32, bad[i], 0);

		snprintf(want, sizeof(want), "mode %04o", (unsigned int)bad[i]);
		expect_refused(path, want);
		expect_refused(path, "chmod 600");
	}
}

static void
test_keyfile_size_and_kind(void **state)
{
	char path[128];

	(void)state;
	rng_state = 3;
	expect_refused(key_file("short", 31, 0600, 0), "has 31 bytes, need 32..1024");
	expect_refused(key_file("empty", 0, 0600, 0), "has 0 bytes");
	expect_refused(key_file("long", KEYFILE_MAX + 1, 0600, 0), "has 1025 bytes");
	expect_refused(key_file("zeros", 32, 0600, 0xff), "one byte repeated");

	snprintf(path, sizeof(path), "%s/missing", dir);
	expect_refused(path, "No such file or directory");
	expect_refused(dir, "not a regular file");
	/* A FIFO must be refused, not block the start. */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	expect_refused(path, "not a regular file");
	expect_refused("", "no key file");
	expect_refused(NULL, "no key file");

	/* Owned by somebody else (only root can make such a file here). */
	if (geteuid() == 0) {
		const char *p = key_file("owner", 32, 0600, 0);

		assert_int_equal(chown(p, 65534, 65534), 0);
		expect_refused(p, "belongs to uid 65534");
	}
}

/* ---- boxes sharing a key ---- */

/* A box: its secrets and its own TSC seconds, started at a random point. */
struct box {
	struct cookie_secrets s;
	uint32_t tsc0;      /* TSC seconds when its wall clock read WALL0 + skew */
	int32_t skew;       /* its wall clock minus the true time, seconds */
};

static uint32_t
box_now(const struct box *b, uint32_t true_sec)
{
	return b->tsc0 + (true_sec - WALL0);
}

static void
box_init(struct box *b, const uint8_t master[32], int32_t skew, uint32_t true_sec)
{
	b->tsc0 = (uint32_t)rng() >> 4;
	b->skew = skew;
	assert_int_equal(cookie_secrets_init_keyed(&b->s, P, master, box_now(b, true_sec),
						   true_sec + (uint32_t)skew), 0);
}

/* What the control lcore does once a second. */
static void
box_tick(struct box *b, uint32_t true_sec)
{
	uint32_t now = box_now(b, true_sec);

	assert_true(cookie_secrets_set_clock(&b->s, now, true_sec + (uint32_t)b->skew) >= 0);
	assert_true(cookie_secrets_rotate(&b->s, now) >= 0);
}

static void
master_of(uint8_t seed, uint8_t master[32])
{
	uint8_t raw[32];

	for (int i = 0; i < 32; i++)
		raw[i] = (uint8_t)(seed * 31 + i * 7 + 1);
	assert_int_equal(keyfile_extract(raw, sizeof(raw), master), 0);
}

struct minted {
	struct flow_key k;
	uint32_t isn, cookie, tsval, due;
	struct cookie_opts opts;
	bool used;
};

/*
 * Box a mints a cookie every second for four periods; box b checks each one
 * rtt seconds later (and a checks its own). Both tick every second. Returns
 * how many of b's checks passed; every decoded option must match.
 */
static unsigned int
cross_check(struct box *a, struct box *b, uint32_t rtt, unsigned int *total)
{
	static struct minted q[8];
	struct cookie_mss_table tbl;
	uint32_t start = WALL0 + 17, end = start + 4 * P;
	unsigned int ok = 0, n = 0;

	cookie_mss_table_default(&tbl);
	memset(q, 0, sizeof(q));
	for (uint32_t sec = start; sec <= end + rtt; sec++) {
		box_tick(a, sec);
		box_tick(b, sec);
		if (sec <= end) {
			struct minted *m = &q[sec % 8];

			random_flow(&m->k);
			m->isn = (uint32_t)rng();
			m->opts = (struct cookie_opts){ .mss = (uint16_t)(1200 + rng() % 300),
				.wscale = (uint8_t)(rng() % 15), .proxy_wscale = 7,
				.sack = rng() & 1, .ts = 1, .ecn = rng() & 1 };
			m->cookie = cookie_encode_syn(&a->s, &tbl, &m->k, m->isn, &m->opts,
						      box_now(a, sec), (uint32_t)rng(), &m->tsval);
			m->due = sec + rtt;
			m->used = true;
		}
		/* The one minted rtt seconds ago is due now. */
		struct minted *d = &q[(sec - rtt) % 8];
		if (!d->used || d->due != sec)
			continue;
		struct cookie_opts o = { 0 };
		int r = cookie_decode_ack(&b->s, &tbl, &d->k, d->isn + 1, d->cookie + 1,
					  true, d->tsval, box_now(b, sec), &o);
		n++;
		if (r == 0) {
			ok++;
			/* The timestamp cookie carries the options, whatever box. */
			assert_int_equal(o.wscale, d->opts.wscale);
			assert_int_equal(o.sack, d->opts.sack);
			assert_int_equal(o.ecn, d->opts.ecn);
			assert_true(o.mss <= d->opts.mss && o.mss >= 536);
		}
		/* A always accepts its own cookie within a period. */
		assert_int_equal(cookie_decode_ack(&a->s, &tbl, &d->k, d->isn + 1, d->cookie + 1,
						   true, d->tsval, box_now(a, sec), &o), 0);
		d->used = false;
	}
	*total = n;
	return ok;
}

static void
test_boxes_share_cookies(void **state)
{
	static const int32_t skews[] = { 0, 1, -1, 5, -5, P / 2, -P / 2, P - 4, -(P - 4) };
	uint8_t master[32];
	struct box a, b;
	unsigned int n, ok;

	(void)state;
	rng_state = 10;
	master_of(1, master);
	for (size_t i = 0; i < sizeof(skews) / sizeof(skews[0]); i++) {
		for (uint32_t rtt = 0; rtt <= 3; rtt++) {
			/* A on time, B off by skew; then the other way round. */
			box_init(&a, master, 0, WALL0);
			box_init(&b, master, skews[i], WALL0);
			ok = cross_check(&a, &b, rtt, &n);
			assert_true(n >= 4 * P);
			if (ok != n) {
				print_error("skew %d rtt %u: %u of %u cookies from A valid on B\n",
					    skews[i], rtt, ok, n);
				fail();
			}
			ok = cross_check(&b, &a, rtt, &n);
			if (ok != n) {
				print_error("skew %d rtt %u: %u of %u cookies from B valid on A\n",
					    skews[i], rtt, ok, n);
				fail();
			}
		}
	}
	/* Same period, same slots: the two boxes hold identical keys even though
	 * their TSC clocks have nothing in common. */
	box_init(&a, master, 0, WALL0 + 5 * P + 9);
	box_init(&b, master, 3, WALL0 + 5 * P + 9);
	assert_int_not_equal(a.tsc0, b.tsc0);
	assert_memory_equal(a.s.key, b.s.key, sizeof(a.s.key));
}

static void
test_different_keys_do_not(void **state)
{
	uint8_t m1[32], m2[32];
	struct box a, c;
	unsigned int n;

	(void)state;
	rng_state = 11;
	master_of(1, m1);
	master_of(2, m2);
	box_init(&a, m1, 0, WALL0);
	box_init(&c, m2, 0, WALL0);
	assert_int_equal(cross_check(&a, &c, 1, &n), 0);
	assert_true(n >= 4 * P);
	assert_int_equal(cross_check(&c, &a, 0, &n), 0);

	/* Nor does a box with random secrets (no key file). */
	{
		struct cookie_secrets r;
		struct flow_key k;
		unsigned int good = 0;

		assert_int_equal(cookie_secrets_init(&r, P, 5000), 0);
		for (int i = 0; i < 1000; i++) {
			uint8_t idx;
			uint32_t isn = (uint32_t)rng();

			random_flow(&k);
			uint32_t c1 = cookie_make(&a.s, &k, isn, 3, false, box_now(&a, WALL0));
			good += cookie_check(&r, &k, isn, c1, 5000, &idx) == 0;
		}
		assert_int_equal(good, 0);
	}
}

/* Beyond the tolerance: a clock two periods off fails, until it is put right. */
static void
test_clock_off_then_fixed(void **state)
{
	struct cookie_mss_table tbl;
	uint8_t master[32], idx;
	struct box a, b;
	struct flow_key k;
	unsigned int n;
	uint32_t sec = WALL0 + 3 * P + 20, isn = 12345, c;

	(void)state;
	rng_state = 12;
	cookie_mss_table_default(&tbl);
	master_of(3, master);
	box_init(&a, master, 0, WALL0);
	box_init(&b, master, -2 * P, WALL0);
	assert_int_equal(cross_check(&a, &b, 0, &n), 0);

	flow_key_v4(&k, 0xc6120001, 0xc6130001, 40000, 80, 6);
	box_tick(&a, sec);
	box_tick(&b, sec);
	c = cookie_make(&a.s, &k, isn, 5, false, box_now(&a, sec));
	assert_int_equal(cookie_check(&b.s, &k, isn, c, box_now(&b, sec), &idx), -1);
	/* NTP steps B's clock: the next tick moves its period counter. */
	b.skew = 0;
	assert_int_equal(cookie_secrets_set_clock(&b.s, box_now(&b, sec), sec), 1);
	assert_true(cookie_secrets_rotate(&b.s, box_now(&b, sec)) >= 0);
	assert_int_equal(cookie_check(&b.s, &k, isn, c, box_now(&b, sec), &idx), 0);
	assert_int_equal(idx, 5);
	/* A second of rounding is not a step. */
	assert_int_equal(cookie_secrets_set_clock(&b.s, box_now(&b, sec), sec + 1), 0);
	assert_int_equal(cookie_secrets_set_clock(&b.s, box_now(&b, sec), sec - 1), 0);
	/* Random secrets ignore the wall clock. */
	{
		struct cookie_secrets r;

		assert_int_equal(cookie_secrets_init(&r, P, 5000), 0);
		assert_int_equal(cookie_secrets_set_clock(&r, 5000, WALL0), 0);
		assert_int_equal(r.clock_offset, 0);
	}
	assert_int_equal(cookie_secrets_set_clock(NULL, 1, 2), -1);
	assert_int_equal(cookie_secrets_init_keyed(&b.s, 0, master, 1, 2), -1);
	assert_int_equal(cookie_secrets_init_keyed(&b.s, P, NULL, 1, 2), -1);
	assert_int_equal(cookie_secrets_init_keyed(NULL, P, master, 1, 2), -1);
}

/*
 * The keyed window is t - 1 .. t + 1 (random secrets: t - 1 .. t), and rotate
 * writes slot t + 2 (= t - 2) only once period t is a second old.
 */
static void
test_keyed_window_and_rotation(void **state)
{
	uint8_t master[32], idx;
	struct cookie_secrets s, r;
	struct flow_key k;
	uint32_t t = 1000, now = t * P, isn = 777;
	uint64_t before[2];

	(void)state;
	master_of(4, master);
	flow_key_v4(&k, 0xc6120002, 0xc6130002, 1234, 443, 6);
	assert_int_equal(cookie_secrets_init_keyed(&s, P, master, now, now), 0);
	assert_int_equal(s.clock_offset, 0);
	for (int d = -1; d <= 2; d++)
		assert_int_equal(s.gen[(t + (uint32_t)d) & 3], t + (uint32_t)d);
	/* A cookie of period t + 1 (a box ahead) validates in t; t + 2 does not;
	 * t - 1 does, t - 2 does not. */
	for (int d = -2; d <= 2; d++) {
		uint32_t c;
		int want = (d >= -1 && d <= 1) ? 0 : -1;

		assert_int_equal(cookie_secrets_init_keyed(&r, P, master, now + (uint32_t)(d * P),
							   now + (uint32_t)(d * P)), 0);
		c = cookie_make(&r, &k, isn, 2, false, now + (uint32_t)(d * P));
		assert_int_equal(cookie_check(&s, &k, isn, c, now + 5, &idx), want);
	}
	/* Random secrets keep the old window: a cookie from t + 1 is refused. */
	assert_int_equal(cookie_secrets_init(&r, P, now), 0);
	{
		uint32_t c = cookie_make(&r, &k, isn, 2, false, now + P);

		assert_int_equal(cookie_check(&r, &k, isn, c, now + P, &idx), 0);
		assert_int_equal(cookie_check(&r, &k, isn, c, now, &idx), -1);
	}

	/* Rotation: first second of t + 1 leaves slot t + 3 (= t - 1) alone. */
	memcpy(before, s.key[(t + 3) & 3], sizeof(before));
	assert_int_equal(cookie_secrets_rotate(&s, (t + 1) * P), 0);
	assert_memory_equal(before, s.key[(t + 3) & 3], sizeof(before));
	assert_int_equal(s.gen[(t + 3) & 3], t - 1);
	assert_int_equal(cookie_secrets_rotate(&s, (t + 1) * P + 1), 1);
	assert_int_equal(s.gen[(t + 3) & 3], t + 3);
	assert_int_equal(cookie_secrets_rotate(&s, (t + 1) * P + 2), 0);
	/* The derived key is the one a fresh box computes for t + 3. */
	assert_int_equal(cookie_secrets_init_keyed(&r, P, master, (t + 3) * P, (t + 3) * P), 0);
	assert_memory_equal(s.key[(t + 3) & 3], r.key[(t + 3) & 3], sizeof(before));
	/* Long idle (no tick for periods): rotate makes the window right again. */
	assert_int_equal(cookie_secrets_rotate(&s, (t + 9) * P), 1);
	for (int d = -1; d <= 1; d++)
		assert_int_equal(s.gen[(t + 9 + (uint32_t)d) & 3], t + 9 + (uint32_t)d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keyfile_good, setup_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_keyfile_permissions, setup_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_keyfile_size_and_kind, setup_dir, remove_dir),
		cmocka_unit_test(test_boxes_share_cookies),
		cmocka_unit_test(test_different_keys_do_not),
		cmocka_unit_test(test_clock_off_then_fixed),
		cmocka_unit_test(test_keyed_window_and_rotation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
