package tests

import (
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
