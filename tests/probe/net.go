package main

import (
	"golang.org/x/sys/unix"

	"fmt"
	"io"
	"net"
	"os"
)

func init() {
	checks["serve"] = serve
	checks["dial"] = dial
	checks["dial-unix"] = dialUnix
}

// serve listens on the address, prints "ready", and answers each
// connection with the message.
func serve(args []string) {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: probe serve ADDR MESSAGE")
		os.Exit(2)
	}
	l, err := net.Listen("tcp", args[0])
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	for {
		c, err := l.Accept()
		if err != nil {
			os.Exit(1)
		}
		io.WriteString(c, args[1]+"\n")
		c.Close()
	}
}

// dial connects to the address and prints what it reads.
func dial(args []string) {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: probe dial ADDR")
		os.Exit(2)
	}
	c, err := net.Dial("tcp", args[0])
	if err != nil {
		fmt.Println("error:", errnoName(err))
		os.Exit(1)
	}
	io.Copy(os.Stdout, c)
}

// dialUnix connects to a unix socket ("@name" for an abstract one) and
// prints OK or the errno.
func dialUnix(args []string) {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: probe dial-unix PATH")
		os.Exit(2)
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		err = unix.Connect(fd, &unix.SockaddrUnix{Name: args[0]})
		unix.Close(fd)
	}
	fmt.Println(errnoName(err))
}
