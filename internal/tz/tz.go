// Package tz holds the one time zone ksfsync works in. It imports nothing
// but time, so pure packages (internal/reconcile) can use it without
// pulling in any I/O.
package tz

import "time"

// Shanghai is Asia/Shanghai, the zone of every vendor and of 勤策's dates
// (UTC+8, no daylight saving since 1991). A fixed zone, so it needs no
// tzdata on the machine.
var Shanghai = time.FixedZone("Asia/Shanghai", 8*60*60)
