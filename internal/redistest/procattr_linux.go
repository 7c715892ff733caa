package redistest

import "syscall"

// sysProcAttr makes the server die with the process that started it, so a
// test binary killed by its time-out leaves no server behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
