package jsonenc_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ksfsync/ksfsync/internal/jsonenc"
)

// FuzzAppendString: AppendString writes what encoding/json.Marshal writes.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " back \ slash`, "<a href='x'>&amp;</a>", "\x00\x1f\x7f\n\r\t",
		"客户 002", "\u2028\u2029", "bad \xff\xfe utf-8", "\xe2\x80", "\U0001F600"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := jsonenc.AppendString(nil, s); string(got) != string(want) {
			t.Errorf("AppendString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}

func ExampleAppendString() {
	fmt.Println(string(jsonenc.AppendString([]byte("msg="), "客户 <C001> & \"C002\"")))
	// Output: msg="客户 \u003cC001\u003e \u0026 \"C002\""
}
