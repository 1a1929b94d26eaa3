package profiles

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sizeSuffixes are binary multiples, as tmpfs and ulimit users expect.
var sizeSuffixes = []struct {
	suffix byte
	mult   uint64
}{{'T', 1 << 40}, {'G', 1 << 30}, {'M', 1 << 20}, {'K', 1 << 10}}

// parseSize reads a byte count: digits with an optional K, M, G or T
// suffix (either case). Fractions are refused: 1.5G rounds in some tools
// and not others, and a limit should mean exactly what it says.
func parseSize(s string) (uint64, error) {
	num, mult := s, uint64(1)
	if s != "" {
		last := s[len(s)-1] &^ 0x20 // upper case
		for _, sf := range sizeSuffixes {
			if last == sf.suffix {
				num, mult = s[:len(s)-1], sf.mult
			}
		}
	}
	if num == "" || strings.TrimLeft(num, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a size (want a number of bytes, optionally with a K, M, G or T suffix, like \"64M\")", s)
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n > math.MaxUint64/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n * mult, nil
}

// formatSize writes n with the largest suffix that divides it exactly.
func formatSize(n uint64) string {
	for _, sf := range sizeSuffixes {
		if n != 0 && n%sf.mult == 0 {
			return strconv.FormatUint(n/sf.mult, 10) + string(sf.suffix)
		}
	}
	return strconv.FormatUint(n, 10)
}

// parseMode reads permission bits written in octal: "0755", "1777".
func parseMode(s string) (uint32, error) {
	if s == "" || strings.TrimLeft(s, "01234567") != "" {
		return 0, fmt.Errorf("mode %q is not octal digits (want like \"0755\")", s)
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o7777 {
		return 0, fmt.Errorf("mode %q has bits beyond 07777", s)
	}
	if n == 0 {
		return 0, errModeZero
	}
	return uint32(n), nil
}

// errModeZero refuses mode 0, which would otherwise be taken as no mode
// given and give the type's default.
var errModeZero = errors.New(`mode 0 is refused: a mount with no mode gets its type's default, which 0 would silently mean; give the bits (a file nobody may read is of no use in a sandbox)`)

// parseDuration reads Go's duration syntax plus a "d" unit of 24 hours,
// because clock offsets are naturally days: "10d", "-1d12h", "+240h".
func parseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a duration (want Go syntax plus d for days, like \"-72h\", \"10d\" or \"1d12h\")", s)
	rest, neg := s, false
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		neg, rest = rest[0] == '-', rest[1:]
	}
	if rest == "" {
		return 0, bad
	}
	if rest == "0" {
		return 0, nil
	}
	isNum := func(c byte) bool { return c >= '0' && c <= '9' || c == '.' }
	var total time.Duration
	for rest != "" {
		i := 0
		for i < len(rest) && isNum(rest[i]) {
			i++
		}
		j := i
		for j < len(rest) && !isNum(rest[j]) {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		if num == "" || unit == "" {
			return 0, bad
		}
		// time.ParseDuration says "invalid" for a number too large as well.
		tooLong := fmt.Errorf("duration %q is too long: at most 106751d (about 292 years)", s)
		wellFormed := func() bool {
			_, err := strconv.ParseFloat(num, 64)
			return err == nil && slices.Contains([]string{"ns", "us", "µs", "μs", "ms", "s", "m", "h", "d"}, unit)
		}
		var d time.Duration
		if unit == "d" {
			h, err := time.ParseDuration(num + "h")
			if err != nil {
				if wellFormed() {
					return 0, tooLong
				}
				return 0, bad
			}
			if h > math.MaxInt64/24 {
				return 0, tooLong
			}
			d = 24 * h
		} else {
			var err error
			if d, err = time.ParseDuration(num + unit); err != nil {
				if wellFormed() {
					return 0, tooLong
				}
				return 0, bad
			}
		}
		if total > math.MaxInt64-d {
			return 0, tooLong
		}
		total += d
	}
	if neg {
		total = -total
	}
	return total, nil
}

// parseLimit reads a resource limit string: "1024", "4G", "256:512",
// "unlimited", "1024:unlimited".
func parseLimit(s string) (Limit, error) {
	softText, hardText, pair := strings.Cut(s, ":")
	soft, err := parseLimitValue(softText)
	if err != nil {
		return Limit{}, err
	}
	hard := soft
	if pair {
		if hard, err = parseLimitValue(hardText); err != nil {
			return Limit{}, err
		}
	}
	if soft > hard {
		return Limit{}, fmt.Errorf("soft limit %s is above the hard limit %s", formatLimitValue(soft), formatLimitValue(hard))
	}
	return Limit{Soft: soft, Hard: hard}, nil
}

func parseLimitValue(s string) (uint64, error) {
	switch s {
	case "unlimited", "infinity":
		return Unlimited, nil
	}
	n, err := parseSize(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a limit (want a number, optionally with a K, M, G or T suffix, \"soft:hard\", or \"unlimited\")", s)
	}
	return n, nil
}

func formatLimitValue(n uint64) string {
	if n == Unlimited {
		return "unlimited"
	}
	return strconv.FormatUint(n, 10)
}

// formatDuration writes d so that parseDuration reads it back exactly.
func formatDuration(d time.Duration) string { return d.String() }
