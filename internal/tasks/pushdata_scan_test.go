package tasks

import "testing"

// FuzzScanData: wherever scanData reads data itself, it reads what
// encoding/json (decodeData) reads: the same fields, present or not.
func FuzzScanData(f *testing.F) {
	for _, s := range []string{
		`{"customer_code":"C1,C2","start_date":"2026-10-01","end_date":"2026-10-31"}`,
		` { "start_date" : "2026-10-01" ,"end_date":"2026-10-31" , "other":"x"} `,
		`{}`, `{"customer_code":"a","customer_code":"b"}`, `{"Customer_Code":"a"}`,
		`{"start_date":"2026-10-01"}}`, `{"start_date":"2026-10-01"} x`, `{"start_date":null}`,
		`{"customer_code":"客户","start_date":"\u0032026-10-01"}`, `{"a":1}`, `[]`, `{"a":"b",}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, ok := scanData(raw)
		if !ok {
			return
		}
		want, err := decodeData(raw)
		if err != nil {
			t.Fatalf("scanData read %q, the decoder refuses it: %v", raw, err)
		}
		for _, f := range []struct {
			name    string
			got, wt *string
		}{{"customer_code", got.CustomerCode, want.CustomerCode}, {"start_date", got.StartDate, want.StartDate},
			{"end_date", got.EndDate, want.EndDate}} {
			if (f.got == nil) != (f.wt == nil) || (f.got != nil && *f.got != *f.wt) {
				t.Fatalf("%q: %s = %v, the decoder reads %v", raw, f.name, deref(f.got), deref(f.wt))
			}
		}
	})
}

// TestScanDataTakesTheCommonShape: the pushes 勤策 sends do not fall back to
// the decoder (else the fast path would be dead code).
func TestScanDataTakesTheCommonShape(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`{"customer_code":"cus001,cus002","start_date":"2020-01-01","end_date":"2020-01-31"}`,
		`{"customer_code": "cus001,cus002", "start_date": "2020-01-01", "end_date": "2020-01-31"}`,
		"{\n  \"start_date\": \"2020-01-01\",\n  \"end_date\": \"2020-01-31\"\n}\n",
	} {
		if _, ok := scanData(raw); !ok {
			t.Errorf("scanData left %q to the decoder", raw)
		}
	}
}

func deref(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}
