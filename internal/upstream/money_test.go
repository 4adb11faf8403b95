package upstream_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ksfsync/ksfsync/internal/upstream"
)

func TestDecodeMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want string // "" = error
	}{
		{`"20.0000"`, "20"}, {`20.0000`, "20"}, {`-20.5`, "-20.5"}, {`"+5"`, "5"}, {`".5"`, "0.5"},
		{`"5."`, "5"}, {`" 1.23 "`, "1.23"}, {`""`, "0"}, {`null`, "0"}, {``, "0"},
		{`1e3`, "1000"}, {`"2.5E-2"`, "0.025"},
		{`0.1`, "0.1"}, // exact: no float64 on the way (0.1 is not representable there)
		{`"1,000.00"`, ""}, {`"NaN"`, ""}, {`"¥5"`, ""}, {`"1e99"`, ""}, {`"1e41"`, ""}, {`"0.1000000000000000055511151231257827"`, "0.1000000000000000055511151231257827"}, {`"e5"`, ""}, {`"1e"`, ""},
		{`"."`, ""}, {`"-"`, ""}, {`true`, ""}, {`{}`, ""}, {`[1]`, ""},
		{`"12345678901234567890123456789012345678901234567890123456789012345"`, ""},
	}
	for _, tt := range tests {
		d, err := upstream.DecodeMoney(json.RawMessage(tt.raw))
		switch {
		case tt.want == "" && !errors.Is(err, upstream.ErrNotMoney):
			t.Errorf("DecodeMoney(%s) = %v, %v; want ErrNotMoney", tt.raw, d, err)
		case tt.want != "" && (err != nil || d.String() != tt.want):
			t.Errorf("DecodeMoney(%s) = %v, %v; want %s", tt.raw, d, err, tt.want)
		}
	}
}

func FuzzDecodeMoney(f *testing.F) {
	for _, s := range []string{`"20.0000"`, `-1e-3`, `null`, `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		d, err := upstream.DecodeMoney(json.RawMessage(raw))
		if err != nil {
			if !errors.Is(err, upstream.ErrNotMoney) {
				t.Fatalf("error not wrapping ErrNotMoney: %v", err)
			}
			return
		}
		// Whatever was accepted formats back to a parseable amount of bounded size.
		if s := d.String(); len(s) > 200 {
			t.Fatalf("%s decoded to %d characters", raw, len(s))
		}
	})
}
