package sandbox

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// channel carries length-prefixed JSON messages, and optionally file
// descriptors, over a unix stream socket. The host side and the init talk
// over one; so do `hutch exec` and a named sandbox's init.
type channel struct {
	f *os.File
}

// maxMessage bounds a message so a confused peer cannot make us allocate
// without limit; a spec with inline file contents stays far below it.
const maxMessage = 16 << 20

// maxPassedFDs bounds the descriptors one message carries.
const maxPassedFDs = 64

func newChannel(f *os.File) *channel { return &channel{f: f} }

// socketPair returns two connected channel ends, close-on-exec.
func socketPair() (*os.File, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "hutch-sync-parent"), os.NewFile(uintptr(fds[1]), "hutch-sync-child"), nil
}

// send writes v, passing fds alongside the first byte.
func (c *channel) send(v any, fds ...int) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	frame := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(frame, uint32(len(body)))
	copy(frame[4:], body)
	if len(fds) > 0 {
		rc, err := c.f.SyscallConn()
		if err != nil {
			return err
		}
		var serr error
		var n int
		err = rc.Write(func(fd uintptr) bool {
			n, serr = unix.SendmsgN(int(fd), frame, unix.UnixRights(fds...), nil, 0)
			return serr != unix.EAGAIN
		})
		if err == nil {
			err = serr
		}
		if err != nil {
			return fmt.Errorf("send message: %w", err)
		}
		frame = frame[n:]
		if len(frame) == 0 {
			// os.File.Write would still make a zero-length write, and that
			// fails with EPIPE if the peer has already read the message,
			// answered and hung up, as the init does when exec's command is
			// missing.
			return nil
		}
	}
	if _, err := c.f.Write(frame); err != nil {
		return fmt.Errorf("send message: %w", err)
	}
	return nil
}

// recv reads one message into v and returns any fds that came with it.
// io.EOF means the peer closed the channel between messages.
func (c *channel) recv(v any) ([]int, error) {
	var head [4]byte
	fds, err := c.readWithFDs(head[:])
	if err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(head[:])
	if size > maxMessage {
		closeAll(fds)
		return nil, fmt.Errorf("message of %d bytes exceeds the limit", size)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(c.f, body); err != nil {
		closeAll(fds)
		return nil, fmt.Errorf("read message: %w", noEOF(err))
	}
	if err := json.Unmarshal(body, v); err != nil {
		closeAll(fds)
		return nil, fmt.Errorf("decode message: %w", err)
	}
	return fds, nil
}

// readWithFDs fills buf, collecting SCM_RIGHTS fds that arrive with it.
func (c *channel) readWithFDs(buf []byte) ([]int, error) {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var fds []int
	got := 0
	for got < len(buf) {
		oob := make([]byte, unix.CmsgSpace(4*maxPassedFDs))
		var n, oobn int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, oobn, _, _, rerr = unix.Recvmsg(int(fd), buf[got:], oob, unix.MSG_CMSG_CLOEXEC)
			return rerr != unix.EAGAIN
		})
		if err == nil {
			err = rerr
		}
		if err != nil {
			closeAll(fds)
			return nil, fmt.Errorf("read message: %w", err)
		}
		if oobn > 0 {
			more, err := parseRights(oob[:oobn])
			if err != nil {
				closeAll(fds)
				return nil, err
			}
			fds = append(fds, more...)
		}
		if n == 0 {
			closeAll(fds)
			if got == 0 {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("read message: %w", io.ErrUnexpectedEOF)
		}
		got += n
	}
	return fds, nil
}

func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parse control message: %w", err)
	}
	var fds []int
	for _, m := range msgs {
		got, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
