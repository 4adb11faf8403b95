// Command ksfctl is the operators' command line for ksfsync's admin API:
// list failed jobs, replay them, delete them, resync statements by hand and
// read the push audit trail, without redis-cli. See docs/operations.md.
//
//	ksfctl failed --customer c1 --start 2026-11-01 --end 2026-11-30
//	ksfctl replay --filter --customer c1 --dry-run
//	ksfctl resync --type ksf_statement --customers c1,c2 --start 2026-11-01 --end 2026-11-30
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
