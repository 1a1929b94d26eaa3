package idmap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Caller identifies the user who starts a sandbox, in the host's terms.
type Caller struct {
	UID  uint32
	GID  uint32
	Name string // login name, used to find subordinate ranges; may be empty
}

// Request is what a profile asks for: the ids the app runs as inside, and
// whether the namespace should hold more than the caller's own id.
type Request struct {
	UID uint32
	GID uint32
	// Subordinate maps the app's own uid and gid to the caller's, and the
	// other inner ids, counting from 0, to the caller's ranges in
	// /etc/subuid and /etc/subgid, so the sandbox holds many ids (package
	// managers, chown, su). It needs newuidmap and newgidmap.
	Subordinate bool
}

// Plan is the maps to write for one sandbox.
type Plan struct {
	UIDMap Map `json:"uid_map"`
	GIDMap Map `json:"gid_map"`
	// Helpers is true when the maps need newuidmap/newgidmap; a single-id map
	// is written directly, with setgroups denied as the kernel requires.
	Helpers bool `json:"helpers"`
}

// Files names the subordinate id files; tests point it elsewhere.
type Files struct {
	SubUID string
	SubGID string
}

// DefaultFiles are the system's subordinate id files.
var DefaultFiles = Files{SubUID: "/etc/subuid", SubGID: "/etc/subgid"}

// NewPlan decides the maps for a request.
func NewPlan(req Request, caller Caller, files Files) (Plan, error) {
	if !req.Subordinate {
		p := Plan{
			UIDMap: Map{{Inner: req.UID, Outer: caller.UID, Count: 1}},
			GIDMap: Map{{Inner: req.GID, Outer: caller.GID, Count: 1}},
		}
		// Checked here, not left to the kernel: a refused map would only
		// show once the sandbox's first process exists.
		if err := p.UIDMap.Validate(); err != nil {
			return Plan{}, fmt.Errorf("uid map: %w", err)
		}
		if err := p.GIDMap.Validate(); err != nil {
			return Plan{}, fmt.Errorf("gid map: %w", err)
		}
		return p, nil
	}
	uidRanges, err := LookupSubIDs(files.SubUID, caller.Name, caller.UID)
	if err != nil {
		return Plan{}, err
	}
	gidRanges, err := LookupSubIDs(files.SubGID, caller.Name, caller.UID)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{
		UIDMap:  withSubordinates(req.UID, caller.UID, uidRanges),
		GIDMap:  withSubordinates(req.GID, caller.GID, gidRanges),
		Helpers: true,
	}
	if err := p.UIDMap.Validate(); err != nil {
		return Plan{}, fmt.Errorf("uid map: %w", err)
	}
	if err := p.GIDMap.Validate(); err != nil {
		return Plan{}, fmt.Errorf("gid map: %w", err)
	}
	return p, nil
}

// withSubordinates maps the app's id to the caller's own and hands the
// ranges out to the other inner ids in order from 0. The app is then the
// caller on the host whatever id it runs as, as with Podman's keep-id:
// what it writes in a bind belongs to the caller, and the caller's files
// are its own. With inner 0 always the caller instead, an app left at the
// caller's uid number would have run as a subordinate id, a stranger to
// the caller's own files.
func withSubordinates(app, own uint32, ranges []SubIDRange) Map {
	m := Map{{Inner: app, Outer: own, Count: 1}}
	// 2^32-1 is no id: the kernel's maps stop one short of it.
	const idLimit = uint64(1)<<32 - 1
	next := uint64(0)
	for _, r := range ranges {
		if next == uint64(app) {
			next++
		}
		start, left := uint64(r.Start), uint64(r.Count)
		if start+left > idLimit+1 || next >= idLimit {
			// Left whole for Validate to report; split, its pieces
			// would wrap around to low host ids.
			m = append(m, Range{Inner: uint32(min(next, idLimit-1)), Outer: r.Start, Count: r.Count})
			return m
		}
		for left > 0 && next < idLimit {
			if next == uint64(app) {
				next++
				continue
			}
			if len(m) == maxLines {
				return m
			}
			n := min(left, idLimit-next)
			if next < uint64(app) {
				n = min(n, uint64(app)-next)
			}
			m = append(m, Range{Inner: uint32(next), Outer: uint32(start), Count: uint32(n)})
			next, start, left = next+n, start+n, left-n
		}
	}
	return m
}

// SubIDRange is one line of /etc/subuid or /etc/subgid.
type SubIDRange struct {
	Start uint32
	Count uint32
}

// ErrNoSubIDs reports a user without subordinate ranges.
var ErrNoSubIDs = errors.New("no subordinate id range")

// LookupSubIDs returns the ranges granted to the user, who may be named in
// the file by login name or by numeric uid.
func LookupSubIDs(path, name string, uid uint32) ([]SubIDRange, error) {
	f, err := os.Open(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read subordinate ids: %w (the file must be readable by every user, as shadow-utils makes it: mode 0644)", err)
		}
		// The two files hold ranges of user and group ids apiece.
		option := "--add-subuids"
		if strings.HasSuffix(path, "subgid") {
			option = "--add-subgids"
		}
		return nil, fmt.Errorf("read subordinate ids: %w (install the uidmap package and add a range with usermod %s)", err, option)
	}
	defer f.Close()
	ranges, err := parseSubIDs(f, name, uid)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(ranges) == 0 {
		who := name
		if who == "" {
			who = strconv.FormatUint(uint64(uid), 10)
		}
		return nil, fmt.Errorf("%w for user %s in %s: add one, e.g. usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s", ErrNoSubIDs, who, path, who)
	}
	return ranges, nil
}

func parseSubIDs(r io.Reader, name string, uid uint32) ([]SubIDRange, error) {
	uidText := strconv.FormatUint(uint64(uid), 10)
	var ranges []SubIDRange
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		parts := strings.Split(text, ":")
		if parts[0] != uidText && (name == "" || parts[0] != name) {
			// Another user's line, well-formed or not, is not ours to
			// judge: shadow-utils' newuidmap skips it too.
			continue
		}
		if len(parts) != 3 {
			return nil, fmt.Errorf("line %d: want name:start:count, got %q", line, text)
		}
		start, err := strconv.ParseUint(parts[1], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("line %d: bad start %q", line, parts[1])
		}
		count, err := strconv.ParseUint(parts[2], 10, 32)
		if err != nil || count == 0 {
			return nil, fmt.Errorf("line %d: bad count %q", line, parts[2])
		}
		ranges = append(ranges, SubIDRange{Start: uint32(start), Count: uint32(count)})
	}
	return ranges, sc.Err()
}

// Write installs the plan's maps for process pid, which must be waiting in
// a fresh user namespace with no maps yet.
func Write(pid int, p Plan) error {
	if p.Helpers {
		if err := runHelper("newuidmap", pid, p.UIDMap); err != nil {
			return err
		}
		return runHelper("newgidmap", pid, p.GIDMap)
	}
	proc := "/proc/" + strconv.Itoa(pid)
	// An unprivileged writer may only map its own gid after setgroups is
	// denied; otherwise a user could drop groups that deny it access.
	if err := writeProcFile(proc+"/setgroups", "deny"); err != nil {
		return err
	}
	if err := writeProcFile(proc+"/uid_map", p.UIDMap.String()); err != nil {
		return err
	}
	return writeProcFile(proc+"/gid_map", p.GIDMap.String())
}

func writeProcFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	_, err = f.Write([]byte(text))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func runHelper(helper string, pid int, m Map) error {
	path, err := exec.LookPath(helper)
	if err != nil {
		return fmt.Errorf("%s not found: id ranges need it (Debian: apt install uidmap): %w", helper, err)
	}
	args := []string{strconv.Itoa(pid)}
	for _, r := range m {
		args = append(args, strconv.FormatUint(uint64(r.Inner), 10), strconv.FormatUint(uint64(r.Outer), 10), strconv.FormatUint(uint64(r.Count), 10))
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", helper, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
