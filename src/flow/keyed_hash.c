/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keyed_hash.c - the process hash secret (see keyed_hash.h): drawn once from
 * the kernel CSPRNG when the first table is created, or set from a seed by
 * tests. A mutex, not an atomic flag, because creation is rare and may
 * happen on several lcores at once.
 */
#include <pthread.h>
#include <stdbool.h>

#include <rte_common.h>

#include "flow/keyed_hash.h"
#include "syncookie/cookie.h"

struct keyed_hash_secret keyed_hash_secret;

static pthread_mutex_t kh_lock = PTHREAD_MUTEX_INITIALIZER;
static bool kh_ready;

int
keyed_hash_init(void)
{
	int ret = 0;

	pthread_mutex_lock(&kh_lock);
	if (!kh_ready) {
		struct keyed_hash_secret s;

		if (cookie_random_bytes(&s, sizeof(s)) == 0) {
			keyed_hash_secret = s;
			kh_ready = true;
		} else {
			ret = -1;
		}
	}
	pthread_mutex_unlock(&kh_lock);
	return ret;
}

/* splitmix64 (Steele, Lea, Flood): a seed stretched into the secret. Only
 * for tests and replays; anything else uses keyed_hash_init(). */
static uint64_t
kh_splitmix(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void
keyed_hash_set_seed(uint64_t seed)
{
	struct keyed_hash_secret s;
	unsigned int d, i;

	for (d = 0; d < KH_DOM_MAX; d++) {
		for (i = 0; i < KEYED_HASH_MAX_WORDS; i++)
			s.dom[d].a[i] = kh_splitmix(&seed);
		s.dom[d].b = kh_splitmix(&seed);
	}
	pthread_mutex_lock(&kh_lock);
	keyed_hash_secret = s;
	kh_ready = true;
	pthread_mutex_unlock(&kh_lock);
}

uint32_t
keyed_hash_rte_flow_key(const void *key, uint32_t key_len, uint32_t init_val)
{
	RTE_SET_USED(key_len);
	RTE_SET_USED(init_val);
	return keyed_hash_flow_key(key);
}
