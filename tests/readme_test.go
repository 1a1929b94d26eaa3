package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeGoTest runs the README's test-isolation example, "hutch run
// -p test -- go test ./...", on a small module, where the Go project's
// release is installed (/usr/local/go) or a go is on the system PATH.
func TestReadmeGoTest(t *testing.T) {
	if _, err := os.Stat("/usr/local/go/bin/go"); err != nil {
		if _, err := exec.LookPath("go"); err != nil {
			t.Skip("no Go toolchain on this machine")
		}
	}
	c := newCaller(t)
	c.writeFile(filepath.Join(c.work, "go.mod"), "module example.com/m\n\ngo 1.21\n", 0o644)
	c.writeFile(filepath.Join(c.work, "m_test.go"), "package m\n\nimport \"testing\"\n\nfunc TestOK(t *testing.T) {}\n", 0o644)
	r := c.run("-p", "test", "--", "go", "test", "./...")
	if r.code != 0 || !strings.Contains(r.stdout, "ok") {
		t.Errorf("the README's go test example: %s", r)
	}
}

// TestReadmeProfile installs the profile README.md shows, as its first
// line says, and uses it as the text after it does: an archive from
// ~/Downloads unpacks into the current directory, ~/Downloads stays
// read-only and the bound ~/.ssh unreadable. A README example that hutch
// refuses is a broken promise.
func TestReadmeProfile(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```toml\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("README.md has no toml block")
	}
	first, _, _ := strings.Cut(block, "\n")
	rel, ok := strings.CutPrefix(first, "# ~/")
	if !ok {
		t.Fatalf("the README's profile does not say where it lives: %q", first)
	}
	name := strings.TrimSuffix(filepath.Base(rel), ".toml")

	c := newCaller(t)
	for _, d := range []string{filepath.Dir(rel), "Downloads", ".ssh"} {
		full := filepath.Join(c.home, d)
		if err := os.MkdirAll(full, 0o755); err != nil {
			t.Fatal(err)
		}
		for p := full; p != c.home; p = filepath.Dir(p) {
			c.own(p)
		}
	}
	c.writeFile(filepath.Join(c.home, rel), block, 0o644)
	c.writeFile(filepath.Join(c.home, ".ssh", "id"), "key\n", 0o600)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "hello.txt"), []byte("unpacked\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(c.home, "Downloads", "src.tar")
	if out, err := exec.Command("tar", "cf", archive, "-C", src, "hello.txt").CombinedOutput(); err != nil {
		t.Skipf("tar is needed to make the archive: %v %s", err, out)
	}
	c.own(archive)

	if r := c.hutch("profile", "check", filepath.Join(c.home, rel)); r.code != 0 {
		t.Fatalf("hutch profile check of the README's profile: %s", r)
	}
	r := c.mustRun("-p", name, "--", "sh", "-c",
		"tar xf ~/Downloads/src.tar; touch ~/Downloads/new 2>/dev/null && echo downloads-writable; cat /secret/id 2>/dev/null && echo secret-read; true")
	if strings.Contains(r.stdout, "downloads-writable") || strings.Contains(r.stdout, "secret-read") {
		t.Errorf("the README's profile grants more than it says:\n%s", r)
	}
	if got, err := os.ReadFile(filepath.Join(c.work, "hello.txt")); err != nil || string(got) != "unpacked\n" {
		t.Errorf("the archive did not unpack into the current directory: %q %v\n%s", got, err, r)
	}
}
