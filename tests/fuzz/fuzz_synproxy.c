/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_synproxy.c - libFuzzer harness for the SYN proxy's data path.
 *
 * Each input is a transcript: a config byte, then records of
 * [port (LAN/WAN) + burst end, clock step (ms, or s), frame length, frame],
 * exactly as described in fuzz_world.h. The frames go through the real parser
 * and the real synproxy_process_burst, with synproxy_housekeeping after every
 * burst and clock step, and the clocks taken from the input. Secrets are
 * fixed (hash seed, shared-key cookie master), so the seeds in corpus/ (made
 * by make_seeds.c: completed handshakes, data and FIN over IPv4, IPv6, VLAN,
 * QinQ, with MSS/WS/SACK/TS) replay to live flows that mutations then poke.
 *
 * Per input: a fresh proxy (tables of 1024) is created and freed, so inputs
 * are independent and a crash reproduces from its one file. After the input
 * everything the proxy sent has been freed; the pool must then be back to
 * zero mbufs in use with the flows still live (the proxy keeps none between
 * calls), and again once the proxy is freed. Any failed check aborts.
 *
 * Build: CC=clang meson setup build-fuzz -Dfuzz=true (scripts/test.sh does);
 * run: build-fuzz/tests/fuzz/fuzz-synproxy -dict=tests/fuzz/synproxy.dict
 *      CORPUS_DIR tests/fuzz/corpus   (README "Fuzzing").
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_world.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (fw_init() != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fw_run(data, size, NULL, NULL, NULL);
	return 0;
}
