package waiqin

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/ksfsync/ksfsync/internal/statement"
)

// tricky strings: everything encoding/json escapes or replaces.
var tricky = []string{"", "a", "对账单", `"quoted"`, `back\slash`, "tab\tnew\nline\r", "\b\f\x00\x1f\x7f",
	"<html>&amp;", "bad\xffutf8", "\u2028\u2029", "emoji 😀", "ascii only 0123456789"}

// fill sets every string of v to a tricky value and gives every slice 0 to 2
// elements (never nil: nil lists are written as [] on purpose).
func fill(v reflect.Value, r *rand.Rand) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(tricky[r.IntN(len(tricky))])
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), r)
		}
	case reflect.Slice:
		n := r.IntN(3)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fill(s.Index(i), r)
		}
		v.Set(s)
	}
}

func stdJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// TestWireMatchesEncodingJSON: the hand-written encoder writes exactly what
// encoding/json writes for the wire model, for every field found by
// reflection (a field added to statement.go and forgotten here fails).
func TestWireMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		var s statement.Statement
		var e statement.Expense
		var l statement.ErrorLog
		fill(reflect.ValueOf(&s).Elem(), r)
		fill(reflect.ValueOf(&e).Elem(), r)
		fill(reflect.ValueOf(&l).Elem(), r)
		for _, c := range []struct {
			got  []byte
			want any
		}{{encodeStatement(&s), &s}, {encodeExpense(&e), &e}, {encodeErrorLog(&l), &l}} {
			want := stdJSON(t, c.want)
			if !bytes.Equal(c.got, want) {
				t.Fatalf("case %d:\n got %s\nwant %s", i, c.got, want)
			}
			if cap(c.got) != len(c.got) {
				t.Fatalf("case %d: sized %d for %d bytes", i, cap(c.got), len(c.got))
			}
		}
	}
}

func TestWireNilListsAreEmpty(t *testing.T) {
	t.Parallel()
	got := string(encodeStatement(&statement.Statement{SerialNo: "H", Trade: []statement.Trade{{}}}))
	if !strings.Contains(got, `"exts":[],"detail":[]}],"exts":[]}`) {
		t.Fatalf("nil lists: %s", got)
	}
	got = string(encodeExpense(&statement.Expense{StatementNo: "F"}))
	if !strings.HasSuffix(got, `"trade":[],"exts":[]}`) {
		t.Fatalf("nil lists: %s", got)
	}
}

func bigStatement(lines int) *statement.Statement {
	s := &statement.Statement{
		SerialNo: "HK20260101202601319f3a2c", CustomerCode: "CUS000029", StartDate: "2026-01-01", EndDate: "2026-01-31",
		BeginBalance: "0.00", Zjkje: "0.00", Zchje: "0.00", Zthje: "0.00", Zqmye: "0.00", Zchsl: "0", Zthsl: "0", Zjcsl: "0",
		Exts: []statement.Ext{},
	}
	s.Trade = make([]statement.Trade, lines)
	for i := range s.Trade {
		s.Trade[i] = statement.Trade{
			StatementNo: s.SerialNo, SerialNo: "1", VoucherNo: "AR2026010100001", TradeDesc: "销售出库",
			TradeAmount: "1234.56", TotalCount: "12", TradeDate: "2026-01-05", CustomerCode: s.CustomerCode, StartDate: "2026-01-01",
			Exts: []statement.Ext{{Key: "单据类型", Value: "销售"}},
			Detail: []statement.Detail{{StatementNo: s.SerialNo, SerialNo: "1", VoucherNo: "AR2026010100001",
				ProductCode: "SKU0001", ProductName: "康师傅红烧牛肉面", Amount: "1234.56", Number: "12",
				CustomerCode: s.CustomerCode, StartDate: "2026-01-01"}},
		}
	}
	return s
}

// TestEncodeAllocatesOnce: a 50,000-line statement costs one buffer of its
// exact size, not the two or three copies of encoding/json.
func TestEncodeAllocatesOnce(t *testing.T) {
	s := bigStatement(50_000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	body := encodeStatement(s)
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("body %d bytes, allocated %d bytes", len(body), allocated)
	if allocated > uint64(len(body))+64<<10 {
		t.Fatalf("allocated %d bytes for a %d-byte body", allocated, len(body))
	}
}

func BenchmarkEncodeStatement50k(b *testing.B) {
	s := bigStatement(50_000)
	b.ReportAllocs()
	for b.Loop() {
		b.SetBytes(int64(len(encodeStatement(s))))
	}
}

func BenchmarkEncodingJSON50k(b *testing.B) {
	s := bigStatement(50_000)
	b.ReportAllocs()
	for b.Loop() {
		out, _ := json.Marshal(s)
		b.SetBytes(int64(len(out)))
	}
}
