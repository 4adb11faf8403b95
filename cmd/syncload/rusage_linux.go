package main

import "syscall"

// maxRSS is getrusage's ru_maxrss of this process, in bytes (Linux reports
// KiB).
func maxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return ru.Maxrss << 10
}
