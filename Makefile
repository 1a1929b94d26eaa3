# The two commands of the README:
#   make run    installs what is missing, builds hutch and runs a command
#               under its embedded default profile
#   make test   installs what is missing and runs every test
# `make check` is what CI adds on top: formatting and vet.

GO ?= go
BIN := bin/hutch

.PHONY: run test check build deps bench

deps:
	@.ci/deps

build: deps
	$(GO) build -o $(BIN) ./cmd/hutch

run: build
	$(BIN) run -- sh -c 'echo "hello from $$(hostname): uid $$(id -u), pid $$$$, $$(ls / | wc -l) entries in /, network interfaces: $$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")"; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'

check:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: the files above need formatting" >&2; exit 1; }
	$(GO) vet ./...

test: deps check
	$(GO) test -count=1 ./...

bench: build
	$(GO) run ./bench/startup
	$(GO) run ./bench/syscall
