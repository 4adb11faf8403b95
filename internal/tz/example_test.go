package tz_test

import (
	"fmt"
	"time"

	"github.com/ksfsync/ksfsync/internal/tz"
)

func Example() {
	t := time.Date(2026, 10, 31, 16, 30, 0, 0, time.UTC)
	fmt.Println(t.In(tz.Shanghai).Format(time.DateTime + " -07:00"))
	// Output: 2026-11-01 00:30:00 +08:00
}
