package waiqin_test

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/upstream/waiqin"
	"github.com/ksfsync/ksfsync/internal/upstream/waiqin/waiqintest"
)

// bigGoods is a statement of n trade lines with one detail line each.
func bigGoods(n int) *statement.Statement {
	s := goods("HK20260101202601319f3a2c", "C1")
	row := s.Trade[0]
	s.Trade = make([]statement.Trade, n)
	for i := range s.Trade {
		s.Trade[i] = row
		s.Trade[i].SerialNo = strconv.Itoa(i + 1)
	}
	return s
}

// sink is 勤策 reduced to its digest check, streamed: it holds no body.
func sink(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seg := strings.Split(r.URL.Path, "/")
		h := md5.New()
		_, _ = io.Copy(h, r.Body)
		_, _ = io.WriteString(h, "|"+appKey+"|"+seg[6])
		if hex.EncodeToString(h.Sum(nil)) != seg[7] {
			_, _ = io.WriteString(w, `{"return_code":1,"return_msg":"数据签名错误"}`)
			return
		}
		_, _ = io.WriteString(w, `{"return_code":0,"msg_id":"`+seg[8]+`"}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestPeakMemory50k saves a 50,000-line statement and reads the process's
// peak RSS (VmHWM). It measures the whole process, so it runs only on
// request and alone:
//
//	KSF_WAIQIN_MEMTEST=sink go test -run PeakMemory ./internal/upstream/waiqin/
//	KSF_WAIQIN_MEMTEST=fake go test -run PeakMemory ./internal/upstream/waiqin/
func TestPeakMemory50k(t *testing.T) {
	mode := os.Getenv("KSF_WAIQIN_MEMTEST")
	if mode == "" {
		t.Skip("set KSF_WAIQIN_MEMTEST=sink or fake, and run this test alone")
	}
	var base string
	var fake *waiqintest.Server
	if mode == "fake" {
		fake = waiqintest.New(waiqintest.Config{OpenID: openID, AppKey: appKey})
		t.Cleanup(fake.Close)
		base = fake.URL
	} else {
		base = sink(t).URL
	}
	c, err := waiqin.New(waiqin.Config{BaseURL: base, OpenID: openID, AppKey: appKey})
	if err != nil {
		t.Fatal(err)
	}
	s := bigGoods(50_000)
	runtime.GC()
	before := peakRSS(t)
	if err := c.SaveStatement(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	after := peakRSS(t)
	if fake != nil && len(fake.Statements()[0].Trade) != 50_000 {
		t.Fatal("the fake did not keep all lines")
	}
	t.Logf("%s: peak RSS %d MiB before the call (statement built), %d MiB after", mode, before>>20, after>>20)
	if mode == "sink" && after > 100<<20 {
		t.Fatalf("peak RSS %d MiB > 100 MiB", after>>20)
	}
}

func peakRSS(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmHWM")
	return 0
}

// BenchmarkSaveStatement50k: one 50,000-line save to a streaming 勤策.
func BenchmarkSaveStatement50k(b *testing.B) {
	c, err := waiqin.New(waiqin.Config{BaseURL: sink(b).URL, OpenID: openID, AppKey: appKey})
	if err != nil {
		b.Fatal(err)
	}
	s := bigGoods(50_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.SaveStatement(b.Context(), s); err != nil {
			b.Fatal(err)
		}
	}
}
