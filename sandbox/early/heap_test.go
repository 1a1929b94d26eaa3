package early

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// heapProbe is allocated by a package init, so it sits in the first chunk
// of the heap, which the runtime maps before any package init runs. (An
// init function, not a var initializer, which the compiler may allocate
// statically.)
var heapProbe *[64]byte

func init() { heapProbe = new([64]byte) }

func TestHeapStartAdvisedHuge(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage"); err != nil {
		t.Skip("kernel without transparent huge pages (no /sys/kernel/mm/transparent_hugepage): madvise(MADV_HUGEPAGE) is refused")
	}
	if got := HeapHugeAdvised(); got < 4<<20 {
		t.Fatalf("HeapHugeAdvised() = %d, want at least one 4 MiB chunk: the mmap wrapper did not see the runtime map its heap", got)
	}
	addr := uintptr(unsafe.Pointer(heapProbe))
	flags, err := vmaFlags(addr)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(flags, "hg") {
		t.Errorf("the heap mapping holding %#x has VmFlags %v, want hg (MADV_HUGEPAGE)", addr, flags)
	}
}

// vmaFlags returns the VmFlags that /proc/self/smaps lists for the
// mapping holding addr.
func vmaFlags(addr uintptr) ([]string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	inside := false
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := scanner.Text()
		if lo, hi, ok := vmaRange(line); ok {
			inside = lo <= addr && addr < hi
			continue
		}
		if rest, ok := strings.CutPrefix(line, "VmFlags:"); ok && inside {
			return strings.Fields(rest), nil
		}
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	return nil, os.ErrNotExist
}

// vmaRange parses the header line of a mapping in smaps, "lo-hi perms ...".
func vmaRange(line string) (lo, hi uintptr, ok bool) {
	span, _, found := strings.Cut(line, " ")
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(span, "-")
	if !found {
		return 0, 0, false
	}
	l, err1 := strconv.ParseUint(a, 16, 64)
	h, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uintptr(l), uintptr(h), true
}
