module github.com/hutch-sandbox/hutch

go 1.26.8

require (
	github.com/moby/sys/capability v0.5.0
	golang.org/x/sys v0.49.0
)
