package tasks

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ksfsync/ksfsync/internal/upstream"
)

// vendorNames are the names a person in 勤策 knows the sources by.
var vendorNames = map[string]string{
	"waiqin": "勤策",
	"oms":    "商派OMS",
	"jdy":    "金蝶精斗云",
	"wdt":    "旺店通",
}

// Reason turns err into the error_reason sent to 勤策: the vendor, the call
// and the vendor's own message, at most 100 characters.
func Reason(err error) string {
	if e, ok := upstream.As(err); ok {
		name := vendorNames[e.Vendor]
		if name == "" {
			name = e.Vendor
		}
		var b strings.Builder
		b.WriteString(name + " " + e.Op + ": ")
		if e.Code != "" {
			b.WriteString(e.Code + " ")
		}
		if e.Message != "" {
			b.WriteString(e.Message)
		} else if e.Status != 0 {
			b.WriteString("HTTP " + strconv.Itoa(e.Status))
		}
		return Truncate(strings.TrimSpace(b.String()), maxReason)
	}
	return Truncate(err.Error(), maxReason)
}

const maxReason = 100

// Truncate cuts s to at most n characters (runes), marking a cut with "…".
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
