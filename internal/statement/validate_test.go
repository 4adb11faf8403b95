package statement_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ksfsync/ksfsync/internal/statement"
)

func goods() *statement.Statement {
	return &statement.Statement{
		SerialNo: "HK20260101202601319f3a2c", CustomerCode: "CUS000029",
		StartDate: "2026-01-01", EndDate: "2026-01-31",
		BeginBalance: "10.00", Zjkje: "10.00", Zchje: "10.00", Zthje: "0.00", Zqmye: "10.00",
		Zchsl: "20", Zthsl: "0", Zjcsl: "20",
		Trade: []statement.Trade{{
			StatementNo: "HK20260101202601319f3a2c", SerialNo: "1", VoucherNo: "pz11",
			TradeDesc: "销售", TradeAmount: "100.00", TotalCount: "50", TradeDate: "2026-01-05",
			CustomerCode: "CUS000029", StartDate: "2026-01-01",
			Exts: []statement.Ext{{Key: "自定义", Value: "好"}},
			Detail: []statement.Detail{{
				StatementNo: "HK20260101202601319f3a2c", SerialNo: "1", VoucherNo: "pz11",
				ProductCode: "pd001", ProductName: "商品", Amount: "10.00", Number: "1",
				CustomerCode: "CUS000029", StartDate: "2026-01-01",
			}},
		}},
		Exts: []statement.Ext{{Key: "对账差异", Value: "0.00"}},
	}
}

func expense() *statement.Expense {
	return &statement.Expense{
		StatementNo: "FY20260101202601319f3a2c", CustomerCode: "CUS000004", TradeMonth: "2026-01",
		Trade: []statement.ExpenseTrade{{
			SerialNo: "1", VoucherNo: "fy2019120502", TradeDate: "2026-01-05 10:00:00", TradeType: "返利",
			Exts: []statement.Ext{{Key: "金额", Value: "20.00"}},
		}},
		Exts: []statement.Ext{{Key: "收入合计", Value: "20.00"}},
	}
}

func wantField(t *testing.T, err error, field, problem string) {
	t.Helper()
	var fe *statement.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a *FieldError for %s", err, field)
	}
	if fe.Field != field || fe.Problem != problem {
		t.Fatalf("err = %v (field %q, problem %q), want field %q problem %q", err, fe.Field, fe.Problem, field, problem)
	}
	if !errors.Is(err, statement.ErrInvalid) {
		t.Fatalf("errors.Is(%v, ErrInvalid) = false", err)
	}
	if !strings.Contains(err.Error(), field) {
		t.Fatalf("message %q does not name %s", err, field)
	}
}

func TestStatementValidate(t *testing.T) {
	t.Parallel()
	if err := goods().Validate(); err != nil {
		t.Fatalf("valid statement: %v", err)
	}
	cjk := func(n int) string { return strings.Repeat("对", n) }
	tests := []struct {
		name    string
		mutate  func(s *statement.Statement)
		field   string
		problem string
	}{
		{"no serial_no", func(s *statement.Statement) { s.SerialNo = "" }, "serial_no", statement.ProblemRequired},
		{"no customer", func(s *statement.Statement) { s.CustomerCode = "" }, "customer_code", statement.ProblemRequired},
		{"serial_no 33", func(s *statement.Statement) { s.SerialNo = strings.Repeat("H", 33) }, "serial_no", statement.ProblemTooLong},
		{"no period", func(s *statement.Statement) { s.StartDate, s.EndDate = "", "" }, "start_date", statement.ProblemRequired},
		{"start without end", func(s *statement.Statement) { s.EndDate = "" }, "end_date", statement.ProblemRequired},
		{"end before start", func(s *statement.Statement) { s.EndDate = "2025-12-31" }, "end_date", statement.ProblemOrder},
		{"spec example date", func(s *statement.Statement) { s.EndDate = "2019 - 11 - 28" }, "end_date", statement.ProblemFormat},
		{"bad month", func(s *statement.Statement) { s.TradeMonth = "2026-13" }, "trade_month", statement.ProblemFormat},
		{"trade date with time", func(s *statement.Statement) { s.Trade[0].TradeDate = "2026-01-05 10:00:00" }, "trade[0].trade_date", statement.ProblemFormat},
		{"trade ext 33 chars", func(s *statement.Statement) { s.Trade[0].Exts[0].Value = cjk(33) }, "trade[0].exts[0].ext_value", statement.ProblemTooLong},
		{"statement ext key", func(s *statement.Statement) { s.Exts[0].Key = cjk(33) }, "exts[0].ext_key", statement.ProblemTooLong},
		{"detail product 33", func(s *statement.Statement) { s.Trade[0].Detail[0].ProductName = cjk(33) }, "trade[0].detail[0].product_name", statement.ProblemTooLong},
		{"trade other number", func(s *statement.Statement) { s.Trade[0].StatementNo = "X" }, "trade[0].statement_no", statement.ProblemMismatch},
		{"detail other voucher", func(s *statement.Statement) { s.Trade[0].Detail[0].VoucherNo = "X" }, "trade[0].detail[0].voucher_no", statement.ProblemMismatch},
		{"invalid utf8", func(s *statement.Statement) { s.BusinessName = "a\xffb" }, "business_name", statement.ProblemUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := goods()
			tt.mutate(s)
			wantField(t, s.Validate(), tt.field, tt.problem)
		})
	}
}

func TestStatementValidateAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(s *statement.Statement)
	}{
		// 32 characters of 3 bytes each: VARCHAR counts characters.
		{"32 CJK characters", func(s *statement.Statement) { s.Trade[0].Exts[0].Value = strings.Repeat("对", 32) }},
		{"month only", func(s *statement.Statement) { s.StartDate, s.EndDate, s.TradeMonth = "", "", "2026-01" }},
		{"no rows", func(s *statement.Statement) { s.Trade, s.Exts = nil, nil }},
		{"empty copies", func(s *statement.Statement) { s.Trade[0].StatementNo, s.Trade[0].Detail[0].VoucherNo = "", "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := goods()
			tt.mutate(s)
			if err := s.Validate(); err != nil {
				t.Fatalf("Validate = %v", err)
			}
		})
	}
	var nilStatement *statement.Statement
	wantField(t, nilStatement.Validate(), "statement", statement.ProblemRequired)
}

func TestExpenseValidate(t *testing.T) {
	t.Parallel()
	if err := expense().Validate(); err != nil {
		t.Fatalf("valid expense: %v", err)
	}
	tests := []struct {
		name    string
		mutate  func(e *statement.Expense)
		field   string
		problem string
	}{
		{"no number", func(e *statement.Expense) { e.StatementNo = "" }, "statement_no", statement.ProblemRequired},
		{"number 33", func(e *statement.Expense) { e.StatementNo = strings.Repeat("F", 33) }, "statement_no", statement.ProblemTooLong},
		{"no customer", func(e *statement.Expense) { e.CustomerCode = "" }, "customer_code", statement.ProblemRequired},
		{"no period", func(e *statement.Expense) { e.TradeMonth = "" }, "start_date", statement.ProblemRequired},
		{"date only trade date", func(e *statement.Expense) { e.Trade[0].TradeDate = "2026-01-05" }, "trade[0].trade_date", statement.ProblemFormat},
		{"trade type 33", func(e *statement.Expense) { e.Trade[0].TradeType = strings.Repeat("x", 33) }, "trade[0].trade_type", statement.ProblemTooLong},
		{"trade ext", func(e *statement.Expense) { e.Trade[0].Exts[0].Key = strings.Repeat("键", 33) }, "trade[0].exts[0].ext_key", statement.ProblemTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := expense()
			tt.mutate(e)
			wantField(t, e.Validate(), tt.field, tt.problem)
		})
	}
}

func TestErrorLogValidate(t *testing.T) {
	t.Parallel()
	ok := statement.ErrorLog{CustomerCode: "CUS000004", StartDate: "2019-11-25", ErrorReason: strings.Repeat("错", statement.MaxErrorReason)}
	if err := ok.Validate(); err != nil {
		t.Fatalf("100 characters: %v", err)
	}
	tests := []struct {
		name    string
		log     statement.ErrorLog
		field   string
		problem string
	}{
		{"no reason", statement.ErrorLog{CustomerCode: "c"}, "error_reason", statement.ProblemRequired},
		{"no customer", statement.ErrorLog{ErrorReason: "x"}, "customer_code", statement.ProblemRequired},
		{"reason 101", statement.ErrorLog{CustomerCode: "c", ErrorReason: strings.Repeat("错", 101)}, "error_reason", statement.ProblemTooLong},
		{"customer 33", statement.ErrorLog{CustomerCode: strings.Repeat("c", 33), ErrorReason: "x"}, "customer_code", statement.ProblemTooLong},
		{"bad date", statement.ErrorLog{CustomerCode: "c", ErrorReason: "x", StartDate: "20191125"}, "start_date", statement.ProblemFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantField(t, tt.log.Validate(), tt.field, tt.problem)
		})
	}
	var fe *statement.FieldError
	err := statement.ErrorLog{CustomerCode: "c", ErrorReason: strings.Repeat("错", 101)}.Validate()
	if !errors.As(err, &fe) || fe.Limit != 100 || fe.Length != 101 || err.Error() != "error_reason: 101 characters, limit 100" {
		t.Fatalf("err = %v %+v", err, fe)
	}
}

// TestEveryFieldHasALimit sets each string field, found by reflection, to
// 101 characters and expects Validate to name exactly that field: a field
// added to the wire model without a check fails here.
func TestEveryFieldHasALimit(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 101)
	docs := []struct {
		name string
		make func() any
	}{
		{"statement", func() any { return goods() }},
		{"expense", func() any { return expense() }},
		{"errorlog", func() any { return &statement.ErrorLog{CustomerCode: "c", ErrorReason: "r"} }},
	}
	for _, d := range docs {
		for _, path := range stringPaths(reflect.TypeOf(d.make()).Elem(), "") {
			t.Run(d.name+"/"+path, func(t *testing.T) {
				t.Parallel()
				doc := d.make()
				setPath(reflect.ValueOf(doc).Elem(), path, long)
				var err error
				switch v := doc.(type) {
				case *statement.Statement:
					err = v.Validate()
				case *statement.Expense:
					err = v.Validate()
				case *statement.ErrorLog:
					err = v.Validate()
				}
				wantField(t, err, path, statement.ProblemTooLong)
			})
		}
	}
}

// stringPaths lists the JSON paths of every string field of t, with index 0
// for slices ("trade[0].detail[0].amount").
func stringPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch f.Type.Kind() {
		case reflect.String:
			out = append(out, prefix+name)
		case reflect.Slice:
			out = append(out, stringPaths(f.Type.Elem(), prefix+name+"[0].")...)
		}
	}
	return out
}

func setPath(v reflect.Value, path, value string) {
	head, rest, nested := strings.Cut(path, ".")
	name, indexed := strings.CutSuffix(head, "[0]")
	for i := range v.NumField() {
		tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if tag != name {
			continue
		}
		f := v.Field(i)
		if indexed && nested {
			setPath(f.Index(0), rest, value)
			return
		}
		f.SetString(value)
		return
	}
	panic("no field " + path)
}

func bigStatement(lines int) *statement.Statement {
	s := goods()
	row := s.Trade[0]
	s.Trade = make([]statement.Trade, lines)
	for i := range s.Trade {
		s.Trade[i] = row
	}
	return s
}

func TestValidateAllocatesNothing(t *testing.T) {
	s := bigStatement(100)
	if n := testing.AllocsPerRun(10, func() { _ = s.Validate() }); n != 0 {
		t.Fatalf("Validate of a valid statement allocates %v times", n)
	}
}

func BenchmarkValidate50k(b *testing.B) {
	s := bigStatement(50_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
