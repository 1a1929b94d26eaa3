package early

/*
#cgo LDFLAGS: -Wl,--wrap=mmap
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/types.h>

void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

// The Go runtime maps its heap in chunks of HEAP_CHUNK bytes, each aligned
// to its size, with MAP_FIXED over address space it reserved before.
#define HEAP_CHUNK (4UL << 20)
// HEAP_HUGE_BYTES is how much of the heap, counted from the first chunk,
// is offered transparent huge pages: the two chunks a start touches at
// most, since the runtime begins its heap at a random page of the first.
#define HEAP_HUGE_BYTES (2 * HEAP_CHUNK)

// Bytes advised so far. The runtime maps heap chunks under its heap lock,
// but other threads map other memory meanwhile: atomics keep the count
// defined, and a rare overshoot of one chunk does no harm.
static size_t heap_huge_advised;

// __wrap_mmap stands in for mmap wherever hutch's objects call it (the
// link wraps the symbol), which includes the Go runtime: in a binary with
// cgo, the runtime maps memory through runtime/cgo's x_cgo_mmap, a call to
// the C library's mmap. It asks for transparent huge pages on the start of
// the heap. A start touches some 180 pages of heap before main, one fault
// each: about 2 ms of every sandbox start on the development VM, where a
// fault costs 10 us. Backed by huge pages, the same memory costs one or two
// faults. Where the kernel grants huge pages only on request
// (transparent_hugepage "madvise", the common default) this is the
// request; with "never" it changes nothing. The price is resident memory:
// a 2 MiB page is resident whole, so a hutch process holds 2 to 4 MiB more
// than the pages it touched.
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
	void *p = __real_mmap(addr, len, prot, flags, fd, off);
	if (p == MAP_FAILED)
		return p;
	if (flags != (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED) || prot != (PROT_READ | PROT_WRITE))
		return p;
	if (len % HEAP_CHUNK != 0 || (uintptr_t)p % HEAP_CHUNK != 0)
		return p;
	size_t done = __atomic_load_n(&heap_huge_advised, __ATOMIC_RELAXED);
	if (done >= HEAP_HUGE_BYTES)
		return p;
	size_t n = len < HEAP_HUGE_BYTES - done ? len : HEAP_HUGE_BYTES - done;
	madvise(p, n, MADV_HUGEPAGE); // advice only: a refusal costs speed, nothing else
	__atomic_fetch_add(&heap_huge_advised, n, __ATOMIC_RELAXED);
	return p;
}

static size_t heap_huge_bytes(void) { return __atomic_load_n(&heap_huge_advised, __ATOMIC_RELAXED); }
*/
import "C"

// HeapHugeAdvised is how many bytes of this process's Go heap were
// offered transparent huge pages as the runtime mapped them.
func HeapHugeAdvised() uintptr { return uintptr(C.heap_huge_bytes()) }
