/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keyfile.c - load and check the shared cookie key file (see keyfile.h).
 *
 * Every refusal says what is wrong and how to fix it, since it stops the
 * proxy at startup (and --check). open() is non-blocking so a FIFO named by
 * mistake cannot hang the start; the checks run on the opened descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "syncookie/keyfile.h"
#include "syncookie/siphash.h"

/* The extraction label: 16 bytes, versioned so a future scheme cannot collide. */
static const uint8_t extract_label[16] = "dpdk-synproxy/k1";

static int __attribute__((format(printf, 3, 4)))
refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int
keyfile_extract(const uint8_t *key, size_t len, uint8_t master[KEYFILE_MASTER_LEN])
{
	uint8_t buf[sizeof(extract_label) + 1 + KEYFILE_MAX];
	size_t n = sizeof(extract_label) + 1 + len;

	if (key == NULL || master == NULL || len < KEYFILE_MIN || len > KEYFILE_MAX)
		return -1;
	memcpy(buf, extract_label, sizeof(extract_label));
	memcpy(buf + sizeof(extract_label) + 1, key, len);
	for (unsigned int j = 0; j < KEYFILE_MASTER_LEN / 8; j++) {
		uint64_t w;

		buf[sizeof(extract_label)] = (uint8_t)j;
		w = siphash24(key, buf, n) ^ siphash24(key + SIPHASH_KEY_LEN, buf, n);
		for (unsigned int i = 0; i < 8; i++)
			master[8 * j + i] = (uint8_t)(w >> (8 * i));
	}
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int
keyfile_load(const char *path, uint8_t master[KEYFILE_MASTER_LEN], char *err, size_t errlen)
{
	uint8_t buf[KEYFILE_MAX + 1];
	struct stat st;
	size_t len = 0;
	bool same = true;
	int fd, ret = -1;

	if (path == NULL || path[0] == '\0')
		return refuse(err, errlen, "no key file given");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return refuse(err, errlen, "cannot open the key file: %s", strerror(errno));
	if (fstat(fd, &st) != 0) {
		refuse(err, errlen, "cannot stat the key file: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		refuse(err, errlen, "the key file is not a regular file");
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		refuse(err, errlen, "the key file belongs to uid %u: it must belong to root "
		       "or to the proxy's user (chown root)", (unsigned int)st.st_uid);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		refuse(err, errlen, "the key file has mode %04o: group/others may access it; "
		       "chmod 600 it (and make a new key if others could read it)",
		       (unsigned int)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size < KEYFILE_MIN || st.st_size > KEYFILE_MAX) {
		refuse(err, errlen, "the key file has %lld bytes, need %d..%d "
		       "(head -c 32 /dev/urandom)", (long long)st.st_size, KEYFILE_MIN, KEYFILE_MAX);
		goto out;
	}
	/* Read to EOF (one byte more than allowed): the size may have changed. */
	while (len < sizeof(buf)) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			refuse(err, errlen, "cannot read the key file: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len < KEYFILE_MIN || len > KEYFILE_MAX) {
		refuse(err, errlen, "the key file changed size while it was read (%zu bytes)", len);
		goto out;
	}
	for (size_t i = 1; i < len; i++)
		same &= buf[i] == buf[0];
	if (same) {
		refuse(err, errlen, "the key file is one byte repeated (0x%02x): not a key; "
		       "fill it from /dev/urandom", buf[0]);
		goto out;
	}
	ret = keyfile_extract(buf, len, master);
	if (ret != 0)
		refuse(err, errlen, "cannot derive the key");
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return ret;
}
