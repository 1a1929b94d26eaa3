package idmap

import (
	"bufio"
	"io"
	"os"
	"strconv"
	"strings"
)

// Account is what the password database says of a uid.
type Account struct {
	Name string
	Home string
}

// PasswdFile is the local password database.
const PasswdFile = "/etc/passwd"

// LookupAccount finds uid in the passwd file at path. hutch reads the file
// itself instead of using os/user: it is linked statically, where glibc's
// NSS modules cannot be loaded, and it only needs a name and a home as a
// fallback for $USER and $HOME. Accounts only NSS knows (LDAP, sssd)
// are not found; the caller then keeps the environment's values.
func LookupAccount(path string, uid uint32) (Account, bool) {
	f, err := os.Open(path)
	if err != nil {
		return Account{}, false
	}
	defer f.Close()
	return findAccount(f, uid)
}

func findAccount(r io.Reader, uid uint32) (Account, bool) {
	sc := bufio.NewScanner(r)
	want := strconv.FormatUint(uint64(uid), 10)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		// name:password:uid:gid:gecos:home:shell
		fields := strings.Split(line, ":")
		if len(fields) < 7 || fields[2] != want || fields[0] == "" {
			continue
		}
		return Account{Name: fields[0], Home: fields[5]}, true
	}
	return Account{}, false
}
