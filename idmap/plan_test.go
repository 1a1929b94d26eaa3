package idmap

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// writeFile writes text to name in a fresh temporary directory and returns
// its path.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func checkContains(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func TestLookupSubIDs(t *testing.T) {
	tests := []struct {
		name string
		text string
		user string
		uid  uint32
		want []SubIDRange
	}{
		{"by name", "alice:100000:65536\n", "alice", 1000, []SubIDRange{{100000, 65536}}},
		{"by uid", "1000:100000:65536\n", "alice", 1000, []SubIDRange{{100000, 65536}}},
		{"by uid without a name", "1000:100000:65536\n", "", 1000, []SubIDRange{{100000, 65536}}},
		{"no trailing newline", "alice:100000:65536", "alice", 1000, []SubIDRange{{100000, 65536}}},
		{"CRLF", "alice:100000:65536\r\n", "alice", 1000, []SubIDRange{{100000, 65536}}},
		{"surrounding space", "   alice:100000:65536  \t\n", "alice", 1000, []SubIDRange{{100000, 65536}}},
		{
			"other users skipped",
			"bob:200000:65536\nalice:100000:65536\n1001:300000:65536\ncarol:400000:65536\n",
			"alice", 1000,
			[]SubIDRange{{100000, 65536}},
		},
		{
			"other users' malformed lines skipped",
			"bob:200000\nalice:100000:65536\ncarol:x:y:z\n",
			"alice", 1000,
			[]SubIDRange{{100000, 65536}},
		},
		{
			"comments and blank lines",
			"# subordinate ids\n\n   \n  # indented comment alice:1:1\n#tight comment, no fields\nalice:100000:65536\n#alice:200000:10\n",
			"alice", 1000,
			[]SubIDRange{{100000, 65536}},
		},
		{
			"multiple ranges by name and uid, in file order",
			"alice:100000:65536\nbob:165536:65536\n1000:300000:10\nalice:400000:1\n",
			"alice", 1000,
			[]SubIDRange{{100000, 65536}, {300000, 10}, {400000, 1}},
		},
		{"name prefix does not match", "alice2:100000:65536\nalice:200000:10\n", "alice", 1000, []SubIDRange{{200000, 10}}},
		{"uid prefix does not match", "10000:100000:65536\n1000:200000:10\n", "", 1000, []SubIDRange{{200000, 10}}},
		{"other users' bad numbers ignored", "bob:x:y\nbob:1:0\nalice:100000:65536\n", "alice", 1000, []SubIDRange{{100000, 65536}}},
		{"top of the id space", "alice:4294901760:65535\n", "alice", 1000, []SubIDRange{{4294901760, 65535}}},
		{"uid 0", "0:100000:65536\nroot:200000:10\n", "root", 0, []SubIDRange{{100000, 65536}, {200000, 10}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "subuid", tt.text)
			got, err := LookupSubIDs(path, tt.user, tt.uid)
			if err != nil {
				t.Fatalf("LookupSubIDs: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("LookupSubIDs = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLookupSubIDsErrors(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		user  string
		uid   uint32
		want  []string // substrings besides the file's path
		noIDs bool     // whether the error is ErrNoSubIDs
	}{
		{"empty file", "", "alice", 1000, []string{"no subordinate id range for user alice in "}, true},
		{"only comments", "# nothing\n\n", "alice", 1000, []string{"for user alice"}, true},
		{"other users only", "bob:100000:65536\n1001:200000:10\n", "alice", 1000, []string{
			"for user alice in ",
			"usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice",
		}, true},
		{"named by name, looked up without one", "alice:100000:65536\n", "", 1000, []string{
			"for user 1000 in ",
			"--add-subgids 100000-165535 1000",
		}, true},
		{"commented out", "#alice:100000:65536\n", "alice", 1000, []string{"for user alice"}, true},
		{"two fields", "alice:100000\n", "alice", 1000, []string{`line 1: want name:start:count, got "alice:100000"`}, false},
		{"four fields", "alice:100000:65536:1\n", "alice", 1000, []string{"line 1: want name:start:count"}, false},
		{"line numbers count comments", "# c\n\nbob:1:1\nalice:1\n", "alice", 1000, []string{"line 4: want name:start:count"}, false},
		{"bad start", "alice:x:65536\n", "alice", 1000, []string{`line 1: bad start "x"`}, false},
		{"empty start", "alice::65536\n", "alice", 1000, []string{`line 1: bad start ""`}, false},
		{"negative start", "alice:-1:65536\n", "alice", 1000, []string{`bad start "-1"`}, false},
		{"start beyond 32 bits", "alice:4294967296:1\n", "alice", 1000, []string{`bad start "4294967296"`}, false},
		{"bad count", "alice:100000:lots\n", "alice", 1000, []string{`line 1: bad count "lots"`}, false},
		{"zero count", "bob:1:1\nalice:100000:0\n", "alice", 1000, []string{`line 2: bad count "0"`}, false},
		{"count beyond 32 bits", "1000:1:4294967296\n", "alice", 1000, []string{`bad count "4294967296"`}, false},
		{"bad line after a good one", "alice:100000:65536\nalice:1\n", "alice", 1000, []string{"line 2"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "subuid", tt.text)
			got, err := LookupSubIDs(path, tt.user, tt.uid)
			if got != nil {
				t.Errorf("got ranges %v along with error", got)
			}
			checkContains(t, err, append([]string{path}, tt.want...)...)
			if errors.Is(err, ErrNoSubIDs) != tt.noIDs {
				t.Errorf("errors.Is(%q, ErrNoSubIDs) = %v, want %v", err, !tt.noIDs, tt.noIDs)
			}
			if !tt.noIDs && !strings.HasPrefix(err.Error(), path+": ") {
				t.Errorf("parse error %q does not start with the path", err)
			}
		})
	}
}

// TestLookupSubIDsMissingGroupFile names the usermod option for the
// file that is missing: subgid takes group ranges.
func TestLookupSubIDsMissingGroupFile(t *testing.T) {
	_, err := LookupSubIDs(filepath.Join(t.TempDir(), "subgid"), "alice", 1000)
	checkContains(t, err, "usermod --add-subgids")
}

// TestLookupSubIDsUnreadableFile names the file's mode, not a package to
// install, when it exists but cannot be read.
func TestLookupSubIDsUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file: run as another user to check an unreadable one")
	}
	unreadable := filepath.Join(t.TempDir(), "subuid")
	if err := os.WriteFile(unreadable, nil, 0); err != nil {
		t.Fatal(err)
	}
	_, err := LookupSubIDs(unreadable, "alice", 1000)
	checkContains(t, err, "mode 0644")
}

func TestLookupSubIDsMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "subuid")
	_, err := LookupSubIDs(path, "alice", 1000)
	checkContains(t, err, path, "read subordinate ids", "install the uidmap package", "usermod --add-subuids")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %q does not wrap fs.ErrNotExist", err)
	}
	if errors.Is(err, ErrNoSubIDs) {
		t.Errorf("a missing file reported as ErrNoSubIDs: %q", err)
	}
}

func TestDefaultFiles(t *testing.T) {
	if DefaultFiles.SubUID != "/etc/subuid" || DefaultFiles.SubGID != "/etc/subgid" {
		t.Errorf("DefaultFiles = %+v", DefaultFiles)
	}
}

func TestNewPlanSingle(t *testing.T) {
	// A single-id plan must not read the subordinate files at all.
	dir := t.TempDir()
	files := Files{SubUID: filepath.Join(dir, "missing-subuid"), SubGID: filepath.Join(dir, "missing-subgid")}
	tests := []struct {
		name   string
		req    Request
		caller Caller
		want   Plan
	}{
		{
			"root inside",
			Request{UID: 0, GID: 0},
			Caller{UID: 1000, GID: 1001, Name: "alice"},
			Plan{UIDMap: Map{{0, 1000, 1}}, GIDMap: Map{{0, 1001, 1}}},
		},
		{
			"caller's own ids",
			Request{UID: 1000, GID: 1001},
			Caller{UID: 1000, GID: 1001},
			Plan{UIDMap: Map{{1000, 1000, 1}}, GIDMap: Map{{1001, 1001, 1}}},
		},
		{
			"other ids inside",
			Request{UID: 65534, GID: 100},
			Caller{UID: 1000, GID: 1001},
			Plan{UIDMap: Map{{65534, 1000, 1}}, GIDMap: Map{{100, 1001, 1}}},
		},
		{
			"root caller",
			Request{UID: 0, GID: 0},
			Caller{UID: 0, GID: 0, Name: "root"},
			Plan{UIDMap: Map{{0, 0, 1}}, GIDMap: Map{{0, 0, 1}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewPlan(tt.req, tt.caller, files)
			if err != nil {
				t.Fatalf("NewPlan: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("NewPlan = %+v, want %+v", got, tt.want)
			}
			if got.Helpers {
				t.Error("a single-id plan asks for helpers")
			}
			if !got.UIDMap.Single() || !got.GIDMap.Single() {
				t.Errorf("maps are not single: %v %v", got.UIDMap, got.GIDMap)
			}
			if err := got.UIDMap.Validate(); err != nil {
				t.Errorf("uid map: %v", err)
			}
			if err := got.GIDMap.Validate(); err != nil {
				t.Errorf("gid map: %v", err)
			}
		})
	}
}

func TestNewPlanSubordinate(t *testing.T) {
	alice := Caller{UID: 1000, GID: 1001, Name: "alice"}
	tests := []struct {
		name           string
		subuid, subgid string
		req            Request
		caller         Caller
		want           Plan
	}{
		{
			"one range each",
			"alice:100000:65536\n", "alice:200000:1000\n",
			Request{Subordinate: true},
			alice,
			Plan{
				UIDMap:  Map{{0, 1000, 1}, {1, 100000, 65536}},
				GIDMap:  Map{{0, 1001, 1}, {1, 200000, 1000}},
				Helpers: true,
			},
		},
		{
			"several ranges packed one after another inside",
			"alice:100000:10\nbob:500000:65536\n1000:300000:5\n", "alice:200000:3\nalice:400000:7\n",
			Request{UID: 15, GID: 10, Subordinate: true},
			alice,
			Plan{
				UIDMap:  Map{{15, 1000, 1}, {0, 100000, 10}, {10, 300000, 5}},
				GIDMap:  Map{{10, 1001, 1}, {0, 200000, 3}, {3, 400000, 7}},
				Helpers: true,
			},
		},
		{
			// subgid is keyed by the user (name or uid), never by the gid.
			"subgid found by the caller's uid",
			"1000:100000:10\n", "1001:900000:10\n1000:200000:10\n",
			Request{UID: 10, GID: 10, Subordinate: true},
			alice,
			Plan{
				UIDMap:  Map{{10, 1000, 1}, {0, 100000, 10}},
				GIDMap:  Map{{10, 1001, 1}, {0, 200000, 10}},
				Helpers: true,
			},
		},
		{
			"no name: ranges by uid only",
			"alice:900000:10\n1000:100000:10\n", "alice:900000:10\n1000:200000:10\n",
			Request{UID: 10, GID: 10, Subordinate: true},
			Caller{UID: 1000, GID: 1000},
			Plan{
				UIDMap:  Map{{10, 1000, 1}, {0, 100000, 10}},
				GIDMap:  Map{{10, 1000, 1}, {0, 200000, 10}},
				Helpers: true,
			},
		},
		{
			// The caller's own uid number, the default: it splits the range.
			"the app's ids split a range",
			"alice:100000:65536\n", "alice:200000:65536\n",
			Request{UID: 1000, GID: 1001, Subordinate: true},
			alice,
			Plan{
				UIDMap:  Map{{1000, 1000, 1}, {0, 100000, 1000}, {1001, 101000, 64536}},
				GIDMap:  Map{{1001, 1001, 1}, {0, 200000, 1001}, {1002, 201001, 64535}},
				Helpers: true,
			},
		},
		{
			"the app's ids beyond the ranges",
			"alice:100000:10\nalice:200000:5\n", "alice:300000:65536\n",
			Request{UID: 16, GID: 70000, Subordinate: true},
			alice,
			Plan{
				UIDMap:  Map{{16, 1000, 1}, {0, 100000, 10}, {10, 200000, 5}},
				GIDMap:  Map{{70000, 1001, 1}, {0, 300000, 65536}},
				Helpers: true,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := Files{SubUID: writeFile(t, "subuid", tt.subuid), SubGID: writeFile(t, "subgid", tt.subgid)}
			got, err := NewPlan(tt.req, tt.caller, files)
			if err != nil {
				t.Fatalf("NewPlan: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("NewPlan = %+v, want %+v", got, tt.want)
			}
			if out, _ := got.UIDMap.ToOuter(tt.req.UID); out != tt.caller.UID {
				t.Errorf("the app's uid %d maps to %d, not the caller's %d", tt.req.UID, out, tt.caller.UID)
			}
			if out, _ := got.GIDMap.ToOuter(tt.req.GID); out != tt.caller.GID {
				t.Errorf("the app's gid %d maps to %d, not the caller's %d", tt.req.GID, out, tt.caller.GID)
			}
			for name, m := range map[string]Map{"uid": got.UIDMap, "gid": got.GIDMap} {
				if err := m.Validate(); err != nil {
					t.Errorf("%s map: %v", name, err)
				}
			}
		})
	}
}

func TestNewPlanSubordinateEdges(t *testing.T) {
	alice := Caller{UID: 1000, GID: 1001, Name: "alice"}
	subgid := "alice:200000:65536\n"

	t.Run("last id of the ranges is mapped", func(t *testing.T) {
		files := Files{SubUID: writeFile(t, "subuid", "alice:100000:65536\n"), SubGID: writeFile(t, "subgid", subgid)}
		p, err := NewPlan(Request{Subordinate: true}, alice, files)
		if err != nil {
			t.Fatal(err)
		}
		if out, _ := p.UIDMap.ToOuter(65536); out != 165535 {
			t.Errorf("uid 65536 maps to %d, want 165535", out)
		}
		if out, _ := p.GIDMap.ToOuter(65536); out != 265535 {
			t.Errorf("gid 65536 maps to %d, want 265535", out)
		}
	})

	t.Run("ranges beyond the kernel's line limit are dropped", func(t *testing.T) {
		var b strings.Builder
		for i := range 400 {
			fmt.Fprintf(&b, "alice:%d:1\n", 100000+2*i)
		}
		files := Files{SubUID: writeFile(t, "subuid", b.String()), SubGID: writeFile(t, "subgid", subgid)}
		p, err := NewPlan(Request{Subordinate: true}, alice, files)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.UIDMap) != maxLines {
			t.Fatalf("uid map has %d ranges, want %d", len(p.UIDMap), maxLines)
		}
		last := p.UIDMap[maxLines-1]
		if want := (Range{Inner: maxLines - 1, Outer: 100000 + 2*(maxLines-2), Count: 1}); last != want {
			t.Errorf("last range = %+v, want %+v", last, want)
		}
		if err := p.UIDMap.Validate(); err != nil {
			t.Error(err)
		}
	})
}

func TestNewPlanErrors(t *testing.T) {
	alice := Caller{UID: 1000, GID: 1001, Name: "alice"}
	tests := []struct {
		name           string
		subuid, subgid string // "-" means the file does not exist
		req            Request
		caller         Caller
		want           []string // "$SUBUID" and "$SUBGID" stand for the paths
		noIDs          bool
	}{
		{
			"no subuid range",
			"bob:100000:65536\n", "alice:200000:65536\n",
			Request{Subordinate: true}, alice,
			[]string{"no subordinate id range for user alice in $SUBUID"}, true,
		},
		{
			"no subgid range",
			"alice:100000:65536\n", "bob:200000:65536\n",
			Request{Subordinate: true}, alice,
			[]string{"no subordinate id range for user alice in $SUBGID"}, true,
		},
		{
			"no subgid range keyed by the gid only",
			"1000:100000:65536\n", "1001:200000:65536\n",
			Request{Subordinate: true}, Caller{UID: 1000, GID: 1001},
			[]string{"for user 1000 in $SUBGID"}, true,
		},
		{
			"missing subuid file",
			"-", "alice:200000:65536\n",
			Request{Subordinate: true}, alice,
			[]string{"read subordinate ids", "$SUBUID"}, false,
		},
		{
			"missing subgid file",
			"alice:100000:65536\n", "-",
			Request{Subordinate: true}, alice,
			[]string{"read subordinate ids", "$SUBGID"}, false,
		},
		{
			"malformed subuid",
			"alice:100000\n", "alice:200000:65536\n",
			Request{Subordinate: true}, alice,
			[]string{"$SUBUID: line 1"}, false,
		},
		{
			"caller's uid inside its subordinate range",
			"alice:0:65536\n", "alice:300000:65536\n",
			Request{Subordinate: true}, alice,
			[]string{"uid map: ranges 1 and 2 overlap outside (ids 1000 and 0)"}, false,
		},
		{
			"caller's gid inside its subordinate range",
			"alice:100000:65536\n", "alice:1001:10\n",
			Request{Subordinate: true}, alice,
			[]string{"gid map: ranges 1 and 2 overlap outside (ids 1001 and 1001)"}, false,
		},
		{
			"subordinate ranges overlap each other",
			"alice:100000:65536\n1000:165000:65536\n", "alice:300000:65536\n",
			Request{Subordinate: true}, alice,
			[]string{"uid map: ranges 2 and 3 overlap outside (ids 100000 and 165000)"}, false,
		},
		{
			"subordinate range overflows",
			"alice:4294967290:100\n", "alice:300000:65536\n",
			Request{Subordinate: true}, alice,
			[]string{"uid map: range 2 (1 4294967290 100) overflows"}, false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := Files{SubUID: filepath.Join(dir, "subuid"), SubGID: filepath.Join(dir, "subgid")}
			for path, text := range map[string]string{files.SubUID: tt.subuid, files.SubGID: tt.subgid} {
				if text == "-" {
					continue
				}
				if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			p, err := NewPlan(tt.req, tt.caller, files)
			if !reflect.DeepEqual(p, Plan{}) {
				t.Errorf("got plan %+v along with error", p)
			}
			r := strings.NewReplacer("$SUBUID", files.SubUID, "$SUBGID", files.SubGID)
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = r.Replace(w)
			}
			checkContains(t, err, want...)
			if errors.Is(err, ErrNoSubIDs) != tt.noIDs {
				t.Errorf("errors.Is(%q, ErrNoSubIDs) = %v, want %v", err, !tt.noIDs, tt.noIDs)
			}
		})
	}
}

// fakeHelpers puts the named helpers in a fresh directory that becomes the
// whole PATH. Each logs its arguments, one a line, to NAME.args in that
// directory, prints output and exits with the given status.
func fakeHelpers(t *testing.T, helpers map[string]int, output string) string {
	t.Helper()
	dir := t.TempDir()
	for name, status := range helpers {
		script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$@\" > '%s'\nprintf '%%s\\n' '%s' >&2\nexit %d\n",
			filepath.Join(dir, name+".args"), output, status)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir)
	return dir
}

// helperArgs returns what the fake helper was called with, or nil if it
// never ran.
func helperArgs(t *testing.T, dir, name string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name+".args"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

var helperPlan = Plan{
	UIDMap:  Map{{0, 1000, 1}, {1, 100000, 65536}, {65537, 300000, 10}},
	GIDMap:  Map{{0, 1001, 1}, {1, 200000, 65536}},
	Helpers: true,
}

func TestWriteHelpers(t *testing.T) {
	dir := fakeHelpers(t, map[string]int{"newuidmap": 0, "newgidmap": 0}, "")
	if err := Write(4242, helperPlan); err != nil {
		t.Fatalf("Write: %v", err)
	}
	wantUID := []string{"4242", "0", "1000", "1", "1", "100000", "65536", "65537", "300000", "10"}
	if got := helperArgs(t, dir, "newuidmap"); !reflect.DeepEqual(got, wantUID) {
		t.Errorf("newuidmap argv = %q, want %q", got, wantUID)
	}
	wantGID := []string{"4242", "0", "1001", "1", "1", "200000", "65536"}
	if got := helperArgs(t, dir, "newgidmap"); !reflect.DeepEqual(got, wantGID) {
		t.Errorf("newgidmap argv = %q, want %q", got, wantGID)
	}
}

func TestWriteHelperErrors(t *testing.T) {
	tests := []struct {
		name     string
		helpers  map[string]int
		want     []string
		notFound bool
		ranUID   bool
		ranGID   bool
	}{
		{
			name:     "no newuidmap",
			helpers:  map[string]int{"newgidmap": 0},
			want:     []string{"newuidmap not found", "apt install uidmap"},
			notFound: true,
		},
		{
			name:     "no newgidmap",
			helpers:  map[string]int{"newuidmap": 0},
			want:     []string{"newgidmap not found", "apt install uidmap"},
			notFound: true,
			ranUID:   true,
		},
		{
			name:    "newuidmap fails",
			helpers: map[string]int{"newuidmap": 3, "newgidmap": 0},
			want:    []string{"newuidmap 4242 0 1000 1 1 100000 65536 65537 300000 10: exit status 3: helper says no"},
			ranUID:  true,
		},
		{
			name:    "newgidmap fails",
			helpers: map[string]int{"newuidmap": 0, "newgidmap": 1},
			want:    []string{"newgidmap 4242 0 1001 1 1 200000 65536: exit status 1: helper says no"},
			ranUID:  true,
			ranGID:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fakeHelpers(t, tt.helpers, "helper says no")
			err := Write(4242, helperPlan)
			checkContains(t, err, tt.want...)
			if errors.Is(err, exec.ErrNotFound) != tt.notFound {
				t.Errorf("errors.Is(%q, exec.ErrNotFound) = %v, want %v", err, !tt.notFound, tt.notFound)
			}
			if ran := helperArgs(t, dir, "newuidmap") != nil; ran != tt.ranUID {
				t.Errorf("newuidmap ran: %v, want %v", ran, tt.ranUID)
			}
			if ran := helperArgs(t, dir, "newgidmap") != nil; ran != tt.ranGID {
				t.Errorf("newgidmap ran: %v, want %v", ran, tt.ranGID)
			}
		})
	}
}

// noSuchPID is above the kernel's pid_max limit (2^22), so no process has it.
const noSuchPID = 1 << 30

func TestWriteDirectNoProcess(t *testing.T) {
	// A single-id plan never looks for the helpers.
	dir := fakeHelpers(t, map[string]int{"newuidmap": 0, "newgidmap": 0}, "")
	p := Plan{UIDMap: Map{{0, 1000, 1}}, GIDMap: Map{{0, 1000, 1}}}
	err := Write(noSuchPID, p)
	checkContains(t, err, "open /proc/"+strconv.Itoa(noSuchPID)+"/setgroups")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %q does not wrap fs.ErrNotExist", err)
	}
	if helperArgs(t, dir, "newuidmap") != nil || helperArgs(t, dir, "newgidmap") != nil {
		t.Error("a single-id plan ran a helper")
	}
}

// TestWriteDirect maps the caller's own ids into a real child in a fresh
// user namespace, which needs unprivileged user namespaces (or root).
func TestWriteDirect(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	cmd := exec.Command(sleep, "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot create a user namespace: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	pid := cmd.Process.Pid
	proc := "/proc/" + strconv.Itoa(pid)

	uid, gid := uint32(os.Geteuid()), uint32(os.Getegid())
	p, err := NewPlan(Request{UID: 0, GID: 0}, Caller{UID: uid, GID: gid}, Files{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(pid, p); err != nil {
		t.Fatalf("Write: %v", err)
	}
	for file, want := range map[string]Map{"uid_map": p.UIDMap, "gid_map": p.GIDMap} {
		data, err := os.ReadFile(proc + "/" + file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Parse(string(data))
		if err != nil {
			t.Fatalf("%s %q: %v", file, data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", file, got, want)
		}
	}
	data, err := os.ReadFile(proc + "/setgroups")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(data)); got != "deny" {
		t.Errorf("setgroups = %q, want deny", got)
	}

	// The maps are written once: a second attempt fails, naming the file.
	err = Write(pid, p)
	checkContains(t, err, proc+"/setgroups")
	if !errors.Is(err, syscall.EPERM) {
		t.Errorf("error %q is not EPERM", err)
	}
}

// A single-id request the kernel would refuse fails in NewPlan, before
// any process exists.
func TestNewPlanSingleIDIsValidated(t *testing.T) {
	_, err := NewPlan(Request{UID: 4294967295, GID: 0}, Caller{UID: 1000, GID: 1000}, Files{})
	if err == nil || !strings.Contains(err.Error(), "uid map") {
		t.Errorf("uid 4294967295 inside: err %v, want a uid map error", err)
	}
}
