package tasks_test

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ksfsync/ksfsync/internal/tasks"
)

func TestParsePushData(t *testing.T) {
	t.Parallel()
	many := make([]string, tasks.MaxCustomers+1)
	for i := range many {
		many[i] = "c" + strconv.Itoa(i)
	}
	tests := []struct {
		name    string
		raw     string
		want    tasks.PushData
		wantErr string
	}{
		{"spec example", `{"customer_code": "cus001,cus002", "start_date": "2020-01-01", "end_date": "2020-01-31"}`,
			tasks.PushData{CustomerCodes: []string{"cus001", "cus002"}, StartDate: "2020-01-01", EndDate: "2020-01-31"}, ""},
		{"trim empties duplicates", `{"customer_code":" c1 ,,c2, c1 ,","start_date":"2026-11-01","end_date":"2026-11-01"}`,
			tasks.PushData{CustomerCodes: []string{"c1", "c2"}, StartDate: "2026-11-01", EndDate: "2026-11-01"}, ""},
		{"empty means all", `{"customer_code":"","start_date":"2026-11-01","end_date":"2026-11-30"}`,
			tasks.PushData{StartDate: "2026-11-01", EndDate: "2026-11-30"}, ""},
		{"absent means all", `{"start_date":"2026-11-01","end_date":"2026-11-30"}`,
			tasks.PushData{StartDate: "2026-11-01", EndDate: "2026-11-30"}, ""},
		{"leap day", `{"customer_code":"c","start_date":"2028-02-29","end_date":"2028-02-29"}`,
			tasks.PushData{CustomerCodes: []string{"c"}, StartDate: "2028-02-29", EndDate: "2028-02-29"}, ""},
		{"malformed json", `{"customer_code":"c1"`, tasks.PushData{}, "not a JSON object"},
		{"trailing text", `{"start_date":"2026-11-01","end_date":"2026-11-01"} x`, tasks.PushData{}, "text after"},
		{"code not string", `{"customer_code":1,"start_date":"2026-11-01","end_date":"2026-11-01"}`, tasks.PushData{}, "customer_code must be a string"},
		{"missing start", `{"customer_code":"c","end_date":"2026-11-01"}`, tasks.PushData{}, "start_date is missing"},
		{"missing end", `{"customer_code":"c","start_date":"2026-11-01"}`, tasks.PushData{}, "end_date is missing"},
		{"feb 30", `{"customer_code":"c","start_date":"2026-02-30","end_date":"2026-03-01"}`, tasks.PushData{}, `start_date "2026-02-30" is not a real date`},
		{"bad end format", `{"customer_code":"c","start_date":"2026-02-01","end_date":"2026/03/01"}`, tasks.PushData{}, "end_date"},
		{"start after end", `{"customer_code":"c","start_date":"2026-03-02","end_date":"2026-03-01"}`, tasks.PushData{}, "is after end_date"},
		{"too long period", `{"customer_code":"c","start_date":"2025-01-01","end_date":"2026-01-02"}`, tasks.PushData{}, "367 days"},
		{"code too long", `{"customer_code":"` + strings.Repeat("长", 101) + `","start_date":"2026-01-01","end_date":"2026-01-01"}`, tasks.PushData{}, "longer than 100"},
		{"too many codes", `{"customer_code":"` + strings.Join(many, ",") + `","start_date":"2026-01-01","end_date":"2026-01-01"}`, tasks.PushData{}, "more than 5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tasks.ParsePushData(tt.raw)
			if tt.wantErr != "" {
				if !errors.Is(err, tasks.ErrInvalidData) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParsePushData(f *testing.F) {
	f.Add(`{"customer_code":"c1,c2","start_date":"2026-11-01","end_date":"2026-11-30"}`)
	f.Add(`{"customer_code":" , ,c","start_date":"2024-02-29","end_date":"2025-02-28"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, raw string) {
		d, err := tasks.ParsePushData(raw)
		if err != nil {
			if !errors.Is(err, tasks.ErrInvalidData) {
				t.Fatalf("error not wrapping ErrInvalidData: %v", err)
			}
			return
		}
		if d.StartDate > d.EndDate || len(d.CustomerCodes) > tasks.MaxCustomers {
			t.Fatalf("accepted invalid data %+v", d)
		}
		seen := map[string]bool{}
		for _, c := range d.CustomerCodes {
			if c == "" || c != strings.TrimSpace(c) || seen[c] || strings.Contains(c, ",") {
				t.Fatalf("bad code %q in %+v", c, d)
			}
			seen[c] = true
		}
	})
}

// BenchmarkParsePushData: a push's data as 勤策 sends it (the scanner's
// path), and with an escape in it (encoding/json's).
func BenchmarkParsePushData(b *testing.B) {
	for _, bench := range []struct{ name, raw string }{
		{"plain", `{"customer_code":"C1000,C1001,C1002","start_date":"2026-10-01","end_date":"2026-10-31"}`},
		{"escaped", `{"customer_code":"C1000,C1001,C100\u0032","start_date":"2026-10-01","end_date":"2026-10-31"}`},
	} {
		b.Run(bench.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tasks.ParsePushData(bench.raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
