package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/ksfsync/ksfsync/internal/tz"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the API refused or could not be reached
	exitUsage = 2
)

const usage = `ksfctl talks to a ksfsync admin listener (KSF_ADMIN_ADDR).

Usage:
  ksfctl failed  [filter flags] [--page N] [--per-page N]    list failed jobs, newest first
  ksfctl replay  ID...  |  --id ID...  |  --filter [filter flags]  |  --all   [--dry-run]
  ksfctl delete  ID...                                        delete failed jobs (asynq task and record)
  ksfctl resync  --type ksf_statement|ksf_expense [--customers c1,c2] --start yyyy-MM-dd --end yyyy-MM-dd [--tenant T, default $KSF_TENANT_ID]
  ksfctl pushes  [--tenant T] [--state S] [--type T] [--origin O] [--page N]   the audit trail of pushes, resyncs, scheduled runs
  ksfctl repair  [--dry-run]                                  remove task ids whose task data is gone
                                                              (they break the queue UI's queue list)
  ksfctl schedules                                            the scheduled runs, their next and latest run
  ksfctl schedules run NAME [--tenant T]                      queue a run of schedule NAME now
  ksfctl statements [list] [--tenant T] [--kind K] [--month yyyy-MM] [--period S..E] [--customer C]
                    [--outcome saved|failed|retrying|confirmed] [--difference] [--page N] [--csv]
  ksfctl statements show --customer C --period yyyy-MM-dd..yyyy-MM-dd [--tenant T] [--kind K] [--csv]
  ksfctl statements export [list filters]                     the list as CSV (UTF-8 with BOM, for Excel)
  ksfctl statements summary [--month yyyy-MM] [--tenant T] [--kind K]   the month's counts

Filter flags: --kind (push|statement|expense|report) --queue --tenant --customer
              --start --end (period overlaps) --q (error text) --state (archived,retry,dropped,replayed,all)
Common flags: --addr (default $KSF_ADMIN_URL, or http:// + $KSF_ADMIN_ADDR, or http://127.0.0.1:8081)
              --token (default $KSF_ADMIN_TOKEN)  --json (print the API's answer)  --timeout (default 2m)
`

// usageError is a command line mistake (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmds := map[string]func(*cli, []string) error{
		"failed": (*cli).failed, "replay": (*cli).replay, "delete": (*cli).delete,
		"resync": (*cli).resync, "pushes": (*cli).pushes, "repair": (*cli).repair,
		"schedules":  (*cli).schedules,
		"statements": (*cli).statements,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ksfctl: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	c := &cli{name: args[0], out: stdout}
	err := cmd(c, args[1:])
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "ksfctl %s: %s\n(ksfctl help shows the usage)\n", c.name, ue.msg)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "ksfctl %s: %v\n", c.name, err)
		return exitError
	}
}

// cli holds one invocation's common flags.
type cli struct {
	name    string
	out     io.Writer
	addr    string
	token   string
	json    bool
	timeout time.Duration
}

func defaultAddr() string {
	if u := os.Getenv("KSF_ADMIN_URL"); u != "" {
		return u
	}
	if a := os.Getenv("KSF_ADMIN_ADDR"); a != "" {
		if strings.HasPrefix(a, ":") {
			a = "127.0.0.1" + a
		}
		return "http://" + a
	}
	return "http://127.0.0.1:8081"
}

// flags returns a flag set with the common flags.
func (c *cli) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("ksfctl "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by run
	fs.StringVar(&c.addr, "addr", defaultAddr(), "admin listener URL")
	fs.StringVar(&c.token, "token", os.Getenv("KSF_ADMIN_TOKEN"), "admin token")
	fs.BoolVar(&c.json, "json", false, "print the API's JSON answer")
	fs.DurationVar(&c.timeout, "timeout", 2*time.Minute, "request timeout")
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(interleave(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// interleave moves positional arguments after the flags, so "delete ID
// --json" works like "delete --json ID".
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return append(flags, pos...)
}

// filterFlags are the failed-job filters, shared by failed and replay.
type filterFlags struct {
	kind, queue, tenant, customer, start, end, q, state string
}

func (f *filterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.kind, "kind", "", "task kind: push, statement, expense, report")
	fs.StringVar(&f.queue, "queue", "", "queue: push, interactive, sync, report")
	fs.StringVar(&f.tenant, "tenant", "", "tenant id")
	fs.StringVar(&f.customer, "customer", "", "customer code")
	fs.StringVar(&f.start, "start", "", "period start yyyy-MM-dd")
	fs.StringVar(&f.end, "end", "", "period end yyyy-MM-dd")
	fs.StringVar(&f.q, "q", "", "text in the last error")
	fs.StringVar(&f.state, "state", "", "archived, retry, dropped, replayed, all (comma-separated)")
}

func (f *filterFlags) fields() map[string]string {
	m := map[string]string{}
	for k, v := range map[string]string{"kind": f.kind, "queue": f.queue, "tenant": f.tenant, "customer": f.customer,
		"start": f.start, "end": f.end, "q": f.q, "state": f.state} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// apiError is the admin API's refusal.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.status, http.StatusText(e.status), e.msg)
}

// call sends one request and decodes the answer into out; raw is the body
// as received (for --json).
func (c *cli) call(method, path string, query url.Values, body any, out any) (raw []byte, err error) {
	if c.token == "" {
		return nil, errors.New("no admin token: set KSF_ADMIN_TOKEN or pass --token")
	}
	u, err := url.Parse(strings.TrimRight(c.addr, "/") + path)
	if err != nil || u.Host == "" {
		return nil, usageError{fmt.Sprintf("--addr %q is not a URL like http://127.0.0.1:8081", c.addr)}
	}
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil || method == http.MethodPost {
		// The admin API takes writes as JSON only (cross-site forms cannot
		// send it), even a POST that carries nothing.
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin API unreachable: %w", err)
	}
	defer resp.Body.Close()
	raw, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(raw))
		}
		return raw, &apiError{status: resp.StatusCode, msg: e.Error}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return raw, fmt.Errorf("unexpected answer from %s: %w", c.addr, err)
		}
	}
	return raw, nil
}

// emit prints the raw JSON answer when --json is set; it reports whether it did.
func (c *cli) emit(raw []byte) bool {
	if !c.json {
		return false
	}
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		buf.Write(raw)
	}
	buf.WriteByte('\n')
	_, _ = c.out.Write(buf.Bytes())
	return true
}

func (c *cli) table(header ...string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	return tw
}

func row(tw io.Writer, cells ...string) {
	for i, s := range cells {
		// Tabs and newlines would break the columns.
		cells[i] = strings.NewReplacer("\t", " ", "\n", " ", "\r", "").Replace(s)
		if cells[i] == "" {
			cells[i] = "-"
		}
	}
	fmt.Fprintln(tw, strings.Join(cells, "\t"))
}

// clip shortens s to n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// when shows an API time in Shanghai wall-clock time.
func when(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(tz.Shanghai).Format("2006-01-02 15:04:05")
}

func pageFlags(fs *flag.FlagSet) (page, perPage *int) {
	return fs.Int("page", 1, "page number"), fs.Int("per-page", 50, "jobs per page (max 1000)")
}

func pageQuery(q url.Values, page, perPage int) {
	q.Set("page", strconv.Itoa(page))
	q.Set("per_page", strconv.Itoa(perPage))
}

func pages(total, perPage int) int {
	if perPage < 1 || total == 0 {
		return 1
	}
	return (total + perPage - 1) / perPage
}
