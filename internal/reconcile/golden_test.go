package reconcile

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ksfsync/ksfsync/internal/retry"
	"github.com/ksfsync/ksfsync/internal/statement"
)

var update = flag.Bool("update", false, "rewrite testdata/*/want.json (and generated inputs) from the builders")

// goldenCase is testdata/<case>/input.json.
type goldenCase struct {
	Kind    string          `json:"kind"` // goods, jdy, wdt, oms_expense
	Options Options         `json:"options"`
	Input   json.RawMessage `json:"input"`
	// Check holds hand-computed values (see testdata/README.md) asserted
	// independently of want.json: keys are statement JSON fields
	// ("zchje"), "exts.<key>", "trades", "details", "difference",
	// "has_difference", or "error_kind" / "error_field" for refused cases.
	Check map[string]string `json:"check"`
}

// goldenError is want.json for a case whose build must fail.
type goldenError struct {
	Error     string `json:"error"`
	Kind      string `json:"kind"`
	Field     string `json:"field"`
	Permanent bool   `json:"permanent"`
}

func TestGolden(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "input.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 15 {
		t.Fatalf("found %d golden cases, want at least 15", len(dirs))
	}
	for _, in := range dirs {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			runGolden(t, dir)
		})
	}
}

func runGolden(t *testing.T, dir string) {
	raw, err := os.ReadFile(filepath.Join(dir, "input.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c goldenCase
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("input.json: %v", err)
	}
	if len(c.Check) == 0 {
		t.Fatal("input.json has no hand-computed check block")
	}
	doc, got, err := build(t, c)
	var out any
	if err != nil {
		var be *Error
		if !errors.As(err, &be) {
			t.Fatalf("build error %v is not a *reconcile.Error", err)
		}
		if !retry.IsPermanent(err) {
			t.Errorf("build error %v does not count as permanent", err)
		}
		if n := len([]rune(err.Error())); n > MaxReason {
			t.Errorf("reason has %d characters, over %d", n, MaxReason)
		}
		out = goldenError{Error: err.Error(), Kind: sentinelName(err), Field: be.Field, Permanent: retry.IsPermanent(err)}
		checkValues(t, c.Check, map[string]string{"error_kind": sentinelName(err), "error_field": be.Field})
	} else {
		if err := doc.Validate(); err != nil {
			t.Errorf("built document fails statement validation: %v", err)
		}
		checkValues(t, c.Check, got)
		out = doc
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	want := filepath.Join(dir, "want.json")
	if *update {
		if err := os.WriteFile(want, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	w, err := os.ReadFile(want)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it, then review it)", err)
	}
	if !bytes.Equal(w, b) {
		t.Errorf("built output differs from %s (diff it after go test -update):\n%s", want, firstDiff(w, b))
	}
}

// validator is what both statement kinds offer.
type validator interface{ Validate() error }

// build runs the case's builder and flattens what the check block may name.
func build(t *testing.T, c goldenCase) (validator, map[string]string, error) {
	t.Helper()
	decode := func(v any) {
		t.Helper()
		dec := json.NewDecoder(bytes.NewReader(c.Input))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Fatalf("input: %v", err)
		}
	}
	switch c.Kind {
	case "goods", "jdy":
		var r Result
		var err error
		if c.Kind == "goods" {
			var in GoodsInput
			decode(&in)
			r, err = BuildGoods(in, c.Options)
		} else {
			var in JDYInput
			decode(&in)
			r, err = BuildGoodsFromJDY(in, c.Options)
		}
		if err != nil {
			return nil, nil, err
		}
		st := &r.Statement
		checkGoodsShape(t, st)
		got := flatten(t, st)
		got["difference"] = r.Difference.StringFixed(2)
		got["has_difference"] = strconv.FormatBool(r.HasDifference)
		got["trades"] = strconv.Itoa(len(st.Trade))
		n := 0
		for i := range st.Trade {
			n += len(st.Trade[i].Detail)
		}
		got["details"] = strconv.Itoa(n)
		return st, got, nil
	case "wdt", "oms_expense":
		var r ExpenseResult
		var err error
		if c.Kind == "wdt" {
			var in ExpenseInput
			decode(&in)
			r, err = BuildExpense(in, c.Options)
		} else {
			var in OMSExpenseInput
			decode(&in)
			r, err = BuildExpenseFromOMS(in, c.Options)
		}
		if err != nil {
			return nil, nil, err
		}
		ex := &r.Expense
		checkExpenseShape(t, ex)
		got := flatten(t, ex)
		got["trades"] = strconv.Itoa(len(ex.Trade))
		got["in"] = r.In.StringFixed(2)
		got["out"] = r.Out.StringFixed(2)
		return ex, got, nil
	}
	t.Fatalf("unknown kind %q", c.Kind)
	return nil, nil, nil
}

// flatten names every text value of a document by its JSON path:
// "zchje", "trade.3.voucher_no", "trade.3.detail.0.number"; an exts list is
// keyed by ext_key: "exts.对账差异", "trade.3.exts.备注".
func flatten(t *testing.T, doc any) map[string]string {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case string:
			got[prefix] = x
		case map[string]any:
			for k, e := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				if k == "exts" {
					for _, ext := range e.([]any) {
						m := ext.(map[string]any)
						got[p+"."+m["ext_key"].(string)] = m["ext_value"].(string)
					}
					continue
				}
				walk(p, e)
			}
		case []any:
			for i, e := range x {
				walk(prefix+"."+strconv.Itoa(i), e)
			}
		}
	}
	walk("", v)
	return got
}

func checkValues(t *testing.T, want, got map[string]string) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			if w != "" {
				t.Errorf("check %s: absent, want %q", k, w)
			}
			continue
		}
		if g != w {
			t.Errorf("check %s = %q, hand-computed %q", k, g, w)
		}
	}
}

// checkGoodsShape asserts what every goods statement must hold beyond the
// spec's limits: serial numbers 1..n, rows repeating the statement's number,
// trade dates in order.
func checkGoodsShape(t *testing.T, st *statement.Statement) {
	t.Helper()
	if err := st.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if n := len([]rune(st.SerialNo)); n == 0 || n > MaxField {
		t.Errorf("serial_no %q has %d characters", st.SerialNo, n)
	}
	prev := ""
	for i := range st.Trade {
		tr := &st.Trade[i]
		if tr.SerialNo != strconv.Itoa(i+1) {
			t.Errorf("trade[%d].serial_no = %q", i, tr.SerialNo)
		}
		if tr.StatementNo != st.SerialNo || tr.StartDate != st.StartDate {
			t.Errorf("trade[%d] does not repeat the statement number or start date", i)
		}
		if tr.TradeDate < prev {
			t.Errorf("trade[%d] date %s before the previous %s", i, tr.TradeDate, prev)
		}
		prev = tr.TradeDate
		for j := range tr.Detail {
			d := &tr.Detail[j]
			if d.SerialNo != strconv.Itoa(j+1) || d.VoucherNo != tr.VoucherNo || d.StatementNo != st.SerialNo {
				t.Errorf("trade[%d].detail[%d] numbering is wrong: %+v", i, j, d)
			}
		}
	}
}

func checkExpenseShape(t *testing.T, ex *statement.Expense) {
	t.Helper()
	if err := ex.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	prev := ""
	for i := range ex.Trade {
		tr := &ex.Trade[i]
		if tr.SerialNo != strconv.Itoa(i+1) {
			t.Errorf("trade[%d].serial_no = %q", i, tr.SerialNo)
		}
		if tr.TradeDate < prev {
			t.Errorf("trade[%d] date %s before the previous %s", i, tr.TradeDate, prev)
		}
		prev = tr.TradeDate
	}
}

func sentinelName(err error) string {
	for _, s := range []struct {
		name string
		err  error
	}{{"ErrInvalidInput", ErrInvalidInput}, {"ErrUnrepresentable", ErrUnrepresentable}, {"ErrPeriodNotServed", ErrPeriodNotServed}} {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return "unknown"
}

// firstDiff shows the first differing line of two texts.
func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n  want " + x + "\n  got  " + y
		}
	}
	return "(same lines, different bytes)"
}
