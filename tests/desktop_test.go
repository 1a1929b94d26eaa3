package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestX11CookieWhereXAUTHORITYSays keeps the X server's cookie where gdm,
// sddm and Xwayland do, outside ~/.Xauthority, named by XAUTHORITY: the
// x11 fragment must bind it there, for the kept XAUTHORITY to find.
func TestX11CookieWhereXAUTHORITYSays(t *testing.T) {
	c := newCaller(t)
	cookie := filepath.Join(c.work, "xauth-cookie")
	c.writeFile(cookie, "MIT-MAGIC-COOKIE-1\n", 0o600)
	c.extraEnv = []string{"DISPLAY=:0", "XAUTHORITY=" + cookie}
	r := c.mustRun("-p", "default", "-p", "x11", "--", "sh", "-c", `echo "$XAUTHORITY"; cat "$XAUTHORITY"`)
	if got := lines(r.stdout); len(got) != 2 || got[0] != cookie || got[1] != "MIT-MAGIC-COOKIE-1" {
		t.Errorf("XAUTHORITY and its cookie inside: %q", got)
	}
	if r := c.run("-p", "default", "-p", "x11", "--", "true"); r.code != 0 || strings.Contains(r.stderr, "XAUTHORITY") {
		t.Errorf("with XAUTHORITY set: %s", r)
	}
}

// TestDesktopProfileGrants checks the smaller things the desktop profile
// gives a GUI app: the system's font cache (else fontconfig rebuilds one
// on every start), the desktop's scale and input method settings, and
// kcmp, which Mesa calls on every start to compare GPU descriptors.
func TestDesktopProfileGrants(t *testing.T) {
	c := newCaller(t)
	c.extraEnv = []string{"GDK_SCALE=2", "XMODIFIERS=@im=ibus"}
	r := c.mustRun(append([]string{"-p", "desktop"}, probe("errno", "kcmp")...)...)
	if got := fields(r.stdout)["kcmp"]; got != "OK" {
		t.Errorf("kcmp under the desktop profile: %s", got)
	}
	r = c.mustRun("-p", "desktop", "--", "sh", "-c", `echo "$GDK_SCALE $XMODIFIERS"`)
	if got := strings.TrimSpace(r.stdout); got != "2 @im=ibus" {
		t.Errorf("scale and input method inside: %q", got)
	}
	if entries, err := os.ReadDir("/var/cache/fontconfig"); err == nil && len(entries) > 0 {
		r = c.mustRun("-p", "desktop", "--", "ls", "/var/cache/fontconfig")
		if !strings.Contains(r.stdout, entries[0].Name()) {
			t.Errorf("the font cache is not visible: %q", r.stdout)
		}
	}
}

// TestRuntimeDirectoryStaysPrivate binds the Wayland socket from the
// runtime directory: the directory made inside to hold it must be 0700,
// as the XDG spec wants and the host's is, not 0755.
func TestRuntimeDirectoryStaysPrivate(t *testing.T) {
	c := newCaller(t)
	c.writeFile(filepath.Join(c.runtimeDir, "wayland-0"), "", 0o600)
	c.extraEnv = []string{"WAYLAND_DISPLAY=wayland-0"}
	r := c.mustRun("-p", "default", "-p", "wayland", "--", "stat", "-c", "%a", c.runtimeDir)
	if got := strings.TrimSpace(r.stdout); got != "700" {
		t.Errorf("the runtime directory inside is mode %s, want 700", got)
	}
}
