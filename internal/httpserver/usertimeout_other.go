//go:build !linux

package httpserver

import (
	"net"
	"time"
)

// setUserTimeout does nothing where TCP_USER_TIMEOUT is not offered: a vanished client is
// then found by TCP's own retries, or once its window is full by the write deadline.
func setUserTimeout(net.Conn, time.Duration) {}
