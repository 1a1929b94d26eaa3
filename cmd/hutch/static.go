package main

// hutch links statically: a dynamically linked binary pays the loader's
// relocations and page faults twice per sandbox, once for hutch and once
// for the re-executed init, a measurable part of startup.

// #cgo LDFLAGS: -static
import "C"
