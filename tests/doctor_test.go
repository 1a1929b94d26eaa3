package tests

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// doctorChecks are the checks 'hutch doctor' must always report, whatever
// the host: scripts read them by name.
var doctorChecks = []string{
	"kernel", "user namespaces", "max_user_namespaces", "time namespace",
	"newuidmap", "newgidmap", "subuid", "subgid", "cgroup v2", "landlock",
	"seccomp", "libseccomp", "pasta", "slirp4netns",
}

type doctorReport struct {
	Checks []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Detail string `json:"detail"`
		Fix    string `json:"fix"`
	} `json:"checks"`
}

// The other e2e tests already need unprivileged user namespaces on this
// host, so the doctor must find them working and nothing failed.
func TestDoctorJSON(t *testing.T) {
	c := newCaller(t)
	r := c.hutch("doctor", "--json")
	if r.code != 0 {
		t.Fatalf("hutch doctor --json: want exit 0 on a host where sandboxes run\n%s", r)
	}
	var rep doctorReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("doctor --json output does not parse: %v\n%s", err, r)
	}
	byName := map[string]int{}
	for i, ch := range rep.Checks {
		if _, dup := byName[ch.Name]; dup {
			t.Errorf("check %q reported twice", ch.Name)
		}
		byName[ch.Name] = i
		switch ch.Status {
		case "ok", "info", "warn", "fail":
		default:
			t.Errorf("check %q has status %q, want ok, warn, fail or info", ch.Name, ch.Status)
		}
		if ch.Detail == "" {
			t.Errorf("check %q has no detail", ch.Name)
		}
		if ch.Status == "fail" {
			t.Errorf("check %q failed although the exit status is 0: %s", ch.Name, ch.Detail)
		}
		// hutch uses no cgroups yet: whatever the host has, nothing to warn of.
		if ch.Name == "cgroup v2" && ch.Status != "ok" && ch.Status != "info" {
			t.Errorf("check %q is %s, want ok or info: %s", ch.Name, ch.Status, ch.Detail)
		}
		if (ch.Status == "warn" || ch.Status == "fail") && ch.Fix == "" {
			t.Errorf("check %q is %s without a fix: %s", ch.Name, ch.Status, ch.Detail)
		}
	}
	for _, name := range doctorChecks {
		if _, ok := byName[name]; !ok {
			t.Errorf("check %q is missing from the report", name)
		}
	}
	if i, ok := byName["user namespaces"]; ok {
		if ch := rep.Checks[i]; ch.Status != "ok" {
			t.Errorf("user namespaces: status %q (%s), want ok", ch.Status, ch.Detail)
		}
	}
	if i, ok := byName["kernel"]; ok && !strings.Contains(rep.Checks[i].Detail, "uid 65534") && runAs != nil {
		t.Errorf("kernel check does not say it ran as the unprivileged caller: %s", rep.Checks[i].Detail)
	}
}

func TestDoctorHuman(t *testing.T) {
	c := newCaller(t)
	r := c.hutch("doctor")
	if r.code != 0 {
		t.Fatalf("hutch doctor: want exit 0\n%s", r)
	}
	if !regexp.MustCompile(`(?m)^libseccomp +ok +libseccomp \d+\.\d+\.\d+`).MatchString(r.stdout) {
		t.Errorf("no libseccomp version line in the report:\n%s", r.stdout)
	}
	if !regexp.MustCompile(`(?m)^user namespaces +ok +all 8 kinds`).MatchString(r.stdout) {
		t.Errorf("user namespaces are not reported ok:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "no failures") && !strings.Contains(r.stdout, "all checks passed") {
		t.Errorf("no tally at the end:\n%s", r.stdout)
	}
}

func TestDoctorRejectsArguments(t *testing.T) {
	c := newCaller(t)
	if r := c.hutch("doctor", "extra"); r.code != 125 || !strings.Contains(r.stderr, "unexpected argument") {
		t.Errorf("hutch doctor extra: want exit 125 and a complaint\n%s", r)
	}
	if r := c.hutch("doctor", "--help"); r.code != 0 || !strings.Contains(r.stdout, "exit status is 0 when no check failed") {
		t.Errorf("hutch doctor --help: want the exit statuses documented\n%s", r)
	}
}
