//go:build !linux

package main

// maxRSS is unknown here: -1.
func maxRSS() int64 { return -1 }
