package tests

import (
	"bufio"
	"context"
	"strings"
	"testing"
	"time"
)

// execOnTTY runs "hutch exec -t args..." with a new pseudo-terminal as its
// controlling terminal and stdio, as from an interactive shell, and
// returns what the terminal showed and the exit status.
func (c *caller) execOnTTY(args ...string) (string, int) {
	c.t.Helper()
	master, slave := openPTY(c.t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := c.command(ctx, append([]string{"exec", "-t"}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr.Setsid = true
	cmd.SysProcAttr.Setctty = true
	cmd.SysProcAttr.Ctty = 0
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	// The test holds the terminal too, so the master never reports end of
	// file: lines are read as they come and collected once hutch is done.
	got := make(chan string, 64)
	go func() {
		r := bufio.NewReader(master)
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				got <- line
			}
			if err != nil {
				return
			}
		}
	}()
	cmd.Wait()
	var out strings.Builder
	for {
		select {
		case l := <-got:
			out.WriteString(l)
			continue
		case <-time.After(300 * time.Millisecond):
		}
		break
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

// exec -t gives the process a terminal of the sandbox's own, passes its
// exit status through, and leaves the sandbox's app alone.
func TestExecWithTerminal(t *testing.T) {
	c := newCaller(t)
	c.detach("tty", "sleep", "1000")
	out, code := c.execOnTTY("tty", "--", "sh", "-c", "tty; exit 7")
	if code != 7 || !strings.Contains(out, "/dev/pts/") {
		t.Errorf("exec -t: exit %d, want 7, and a /dev/pts path from tty:\n%s", code, out)
	}
	time.Sleep(200 * time.Millisecond)
	if st := c.ps()["tty"].Status; st != "running" {
		t.Errorf("after exec -t the sandbox is %q, want running", st)
	}
	// A second one works as well: the first left no terminal behind.
	if out, code := c.execOnTTY("tty", "--", "sh", "-c", "tty"); code != 0 || !strings.Contains(out, "/dev/pts/") {
		t.Errorf("second exec -t: exit %d:\n%s", code, out)
	}
}
