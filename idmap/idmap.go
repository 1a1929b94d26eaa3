package idmap

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Range maps Count consecutive ids starting at Inner (as seen inside the
// namespace) onto ids starting at Outer (as seen by the parent namespace),
// one line of /proc/PID/uid_map.
type Range struct {
	Inner uint32 `json:"inner"`
	Outer uint32 `json:"outer"`
	Count uint32 `json:"count"`
}

// Map is a whole uid_map or gid_map.
type Map []Range

// maxLines is the kernel's limit on lines in uid_map since Linux 4.15.
const maxLines = 340

// String renders the map in the kernel's uid_map format.
func (m Map) String() string {
	var b strings.Builder
	for _, r := range m {
		fmt.Fprintf(&b, "%d %d %d\n", r.Inner, r.Outer, r.Count)
	}
	return b.String()
}

// Parse reads text in uid_map format: lines of "inner outer count",
// separated by any amount of white space.
func Parse(text string) (Map, error) {
	var m Map
	for i, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("line %d: want \"inner outer count\", got %q", i+1, line)
		}
		var nums [3]uint32
		for j, f := range fields {
			n, err := strconv.ParseUint(f, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("line %d: %q is not an id: %w", i+1, f, err)
			}
			nums[j] = uint32(n)
		}
		m = append(m, Range{Inner: nums[0], Outer: nums[1], Count: nums[2]})
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Validate checks what the kernel would refuse: empty maps, empty or
// overflowing ranges, overlaps on either side and too many lines.
func (m Map) Validate() error {
	if len(m) == 0 {
		return fmt.Errorf("empty id map")
	}
	if len(m) > maxLines {
		return fmt.Errorf("id map has %d ranges, the kernel allows %d", len(m), maxLines)
	}
	for i, r := range m {
		if r.Count == 0 {
			return fmt.Errorf("range %d: count is 0", i+1)
		}
		if uint64(r.Inner)+uint64(r.Count) > math.MaxUint32 || uint64(r.Outer)+uint64(r.Count) > math.MaxUint32 {
			return fmt.Errorf("range %d (%d %d %d) overflows the 32-bit id space", i+1, r.Inner, r.Outer, r.Count)
		}
		for j := range i {
			o := m[j]
			if overlaps(r.Inner, r.Count, o.Inner, o.Count) {
				return fmt.Errorf("ranges %d and %d overlap inside (ids %d and %d)", j+1, i+1, o.Inner, r.Inner)
			}
			if overlaps(r.Outer, r.Count, o.Outer, o.Count) {
				return fmt.Errorf("ranges %d and %d overlap outside (ids %d and %d)", j+1, i+1, o.Outer, r.Outer)
			}
		}
	}
	return nil
}

func overlaps(a, an, b, bn uint32) bool {
	return uint64(a) < uint64(b)+uint64(bn) && uint64(b) < uint64(a)+uint64(an)
}

// ToOuter translates an inner id to the parent namespace's id.
func (m Map) ToOuter(inner uint32) (uint32, bool) {
	for _, r := range m {
		if inner >= r.Inner && uint64(inner) < uint64(r.Inner)+uint64(r.Count) {
			return r.Outer + (inner - r.Inner), true
		}
	}
	return 0, false
}

// ToInner translates a parent-namespace id to the id seen inside.
func (m Map) ToInner(outer uint32) (uint32, bool) {
	for _, r := range m {
		if outer >= r.Outer && uint64(outer) < uint64(r.Outer)+uint64(r.Count) {
			return r.Inner + (outer - r.Outer), true
		}
	}
	return 0, false
}

// Single reports whether the map is one id mapped to one id, the only map an
// unprivileged process may write without newuidmap.
func (m Map) Single() bool {
	return len(m) == 1 && m[0].Count == 1
}
