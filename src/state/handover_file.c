/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * handover_file.c - the state file on disk (format in handover.h).
 *
 * Writing is atomic: the bytes go to <path>.tmp.<pid> in the same directory
 * (created 0600, O_EXCL, no symlink followed), are fsync'ed, then renamed
 * over <path> and the directory is fsync'ed; a crash leaves either the old
 * file or the new one, never half of one. Reading refuses what is not a
 * regular file and anything larger than HANDOVER_MAX_FILE before it
 * allocates, then hands the bytes to handover_decode().
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_common.h>

#include "state/handover.h"

static int __rte_format_printf(3, 4)
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
handover_write_file(const char *path, const struct handover_image *img,
		    char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	size_t len = handover_encoded_size(img);
	uint8_t *buf = malloc(len);
	int fd, dfd, ret = -1;

	if (buf == NULL)
		return fail(err, errlen, "out of memory for %zu bytes", len);
	handover_encode(img, buf);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp)) {
		free(buf);
		return fail(err, errlen, "path too long");
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fail(err, errlen, "%s: %s", tmp, strerror(errno));
		free(buf);
		return -1;
	}
	if (write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
		fail(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		fail(err, errlen, "%s -> %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* the rename itself must reach the disk */
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

int
handover_read_file(const char *path, struct handover_image *img, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, ret;

	memset(img, 0, sizeof(*img));
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > HANDOVER_MAX_FILE) {
		close(fd);
		return fail(err, errlen, "%s: %jd bytes, more than any state file", path,
			    (intmax_t)st.st_size);
	}
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (buf == NULL) {
		close(fd);
		return fail(err, errlen, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	ret = handover_decode(buf, got, img, err, errlen);
	free(buf);
	return ret;
}
