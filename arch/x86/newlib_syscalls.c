/*
 * The system calls newlib's generic target expects. Output goes to the
 * console; the heap is a fixed region in the image (the hypervisor's own
 * allocations are small: guests take memory from the frame allocator).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "arch/x86/platform.h"
#include "lib/console.h"
#include "lib/panic.h"
#include "lib/spinlock.h"

#define HEAP_SIZE (1024 * 1024)

static uint8_t heap[HEAP_SIZE] __attribute__((aligned(16)));
static size_t heap_used;
static struct spinlock heap_lock = SPINLOCK_INIT;

#undef errno
extern int errno;

void *sbrk(ptrdiff_t incr)
{
	void *p = (void *)-1;

	spin_lock(&heap_lock);
	if ((incr >= 0 && (size_t)incr <= HEAP_SIZE - heap_used) ||
	    (incr < 0 && (size_t)-incr <= heap_used)) {
		p = &heap[heap_used];
		heap_used += incr;
	}
	spin_unlock(&heap_lock);
	if (p == (void *)-1)
		errno = ENOMEM;
	return p;
}

int write(int fd, const void *buf, size_t len)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	console_write(buf, len);
	return (int)len;
}

int read(int fd, void *buf, size_t len)
{
	(void)fd, (void)buf, (void)len;
	errno = EBADF;
	return -1;
}

int close(int fd)
{
	(void)fd;
	errno = EBADF;
	return -1;
}

int fstat(int fd, struct stat *st)
{
	if (fd < 0 || fd > 2) {
		errno = EBADF;
		return -1;
	}
	st->st_mode = S_IFCHR;
	return 0;
}

int isatty(int fd)
{
	return fd >= 0 && fd <= 2;
}

int lseek(int fd, int off, int whence)
{
	(void)fd, (void)off, (void)whence;
	errno = ESPIPE;
	return -1;
}

int getpid(void)
{
	return 1;
}

int kill(int pid, int sig)
{
	(void)pid, (void)sig;
	errno = EINVAL;
	return -1;
}

void _exit(int status)
{
	panic("newlib _exit(%d) called", status);
}
