/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * syn_policy.h - per-lcore choice between the SYN cache and pure cookies.
 *
 * The SYN-ACK's ISN is always a SYN cookie, in every mode; the cache only adds
 * the client's exact options, so a connection whose entry was evicted still
 * validates by its cookie. The policy therefore decides one thing per SYN:
 * whether to also spend a cache slot on it.
 *
 *	cookie  never cache
 *	cache   always cache (a full cache evicts its oldest entry)
 *	auto    cache while the SYN rate is below rate_threshold AND the cache
 *	        is less than fill_pct full; otherwise cookies only - a flood
 *	        then costs no state and cannot churn legitimate entries out
 *
 * Rate estimate: SYNs are counted in fixed 1-second windows. The rate is the
 * larger of the last complete window and the current one, so a flood trips
 * the threshold as soon as the current window reaches it (no waiting for the
 * second to end), and the policy falls back to caching only after a whole
 * window stayed below it - a little hysteresis for free. One compare and one
 * increment per SYN, no division; the fill test is a 64-bit multiply.
 */
#ifndef SYNPROXY_SYN_POLICY_H
#define SYNPROXY_SYN_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#define SYN_POLICY_WINDOW_MS 1000

/* Same values as enum cfg_synproxy_mode. */
enum syn_mode {
	SYN_MODE_COOKIE = 0,
	SYN_MODE_CACHE = 1,
	SYN_MODE_AUTO = 2,
};

struct syn_policy {
	enum syn_mode mode;
	uint32_t rate_threshold;   /* SYN/s at or above which auto uses cookies only */
	uint8_t fill_pct;          /* cache fill (%) at or above which auto uses cookies only */
	bool under_attack;         /* telemetry: rate or fill over its limit at the last SYN */
	uint32_t win_count;        /* SYNs in the current window */
	uint32_t prev_count;       /* SYNs in the last complete window */
	uint64_t win_start_ms;
	uint64_t attack_transitions; /* telemetry: times under_attack went false -> true */
};

static inline void
syn_policy_init(struct syn_policy *p, enum syn_mode mode, uint32_t rate_threshold,
		uint8_t fill_pct)
{
	p->mode = mode;
	p->rate_threshold = rate_threshold;
	p->fill_pct = fill_pct;
	p->under_attack = false;
	p->win_count = 0;
	p->prev_count = 0;
	p->win_start_ms = 0;
	p->attack_transitions = 0;
}

/* Move the window forward to now_ms; a gap of two windows or more means silence. */
static inline void
syn_policy_roll(struct syn_policy *p, uint64_t now_ms)
{
	uint64_t elapsed = now_ms - p->win_start_ms;

	if (elapsed < SYN_POLICY_WINDOW_MS)
		return;
	if (elapsed < 2 * SYN_POLICY_WINDOW_MS) {
		p->prev_count = p->win_count;
		p->win_start_ms += SYN_POLICY_WINDOW_MS;
	} else {
		/* Also taken when the clock went backwards (elapsed wrapped). */
		p->prev_count = 0;
		p->win_start_ms = now_ms;
	}
	p->win_count = 0;
}

/* Estimated SYN/s (see the header comment). */
static inline uint32_t
syn_policy_rate(const struct syn_policy *p)
{
	return p->win_count > p->prev_count ? p->win_count : p->prev_count;
}

/*
 * Called once per SYN: counts it, then says whether to put it in the cache.
 * cache_count/cache_cap are the worker's syn_cache_count()/capacity().
 */
static inline bool
syn_policy_use_cache_mode(struct syn_policy *p, enum syn_mode mode, uint64_t now_ms,
			  uint32_t cache_count, uint32_t cache_cap)
{
	bool rate_hot, fill_hot, attack;

	syn_policy_roll(p, now_ms);
	if (p->win_count != UINT32_MAX)
		p->win_count++;

	rate_hot = syn_policy_rate(p) >= p->rate_threshold;
	fill_hot = cache_cap > 0 &&
		   (uint64_t)cache_count * 100 >= (uint64_t)cache_cap * p->fill_pct;
	attack = rate_hot || fill_hot;
	p->attack_transitions += attack && !p->under_attack;
	p->under_attack = attack;

	switch (mode) {
	case SYN_MODE_CACHE:
		return true;
	case SYN_MODE_AUTO:
		return !attack && cache_cap > 0;
	case SYN_MODE_COOKIE:
	default:
		return false;
	}
}

/* The same in the policy's own mode (a protected service may have its own:
 * syn_policy_use_cache_mode, the estimate stays one per worker). */
static inline bool
syn_policy_use_cache(struct syn_policy *p, uint64_t now_ms, uint32_t cache_count,
		     uint32_t cache_cap)
{
	return syn_policy_use_cache_mode(p, p->mode, now_ms, cache_count, cache_cap);
}

#endif
