module github.com/hutch-sandbox/hutch

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/moby/sys/capability v0.5.0
	github.com/seccomp/libseccomp-golang v0.11.1
	golang.org/x/sys v0.49.0
)

require (
	github.com/landlock-lsm/go-landlock v0.11.0
	kernel.org/pub/linux/libs/security/libcap/psx v1.2.77 // indirect
)
