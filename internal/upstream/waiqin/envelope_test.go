package waiqin

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

func TestDecodeEnvelope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		code string
		msg  string
		data string // "" = nil
		bad  bool
	}{
		{"number code, documented success", `{"msg_id":"PRD00001","return_code":0}`, "0", "", "", false},
		{"string code with data string", `{"return_code":"0","return_msg":"响应信息","msg_id":"m","response_data":"[{\"customer_code\":\"8152904002\"}]"}`, "0", "响应信息", `[{"customer_code":"8152904002"}]`, false},
		{"data as array", `{"return_code":0,"response_data":[{"customer_code":"1"}]}`, "0", "", `[{"customer_code":"1"}]`, false},
		{"data as object", `{"return_code":0,"response_data":{"a":1}}`, "0", "", `{"a":1}`, false},
		{"empty data string", `{"return_code":"0","response_data":""}`, "0", "", "", false},
		{"null data", `{"return_code":"0","response_data":null}`, "0", "", "", false},
		{"validation", `{"msg_id":"PRD00001","return_code":100608,"return_msg":"对账单号为空"}`, "100608", "对账单号为空", "", false},
		{"spaced string code", `{"return_code":" 1 ","return_msg":"对账月份不能为空!"}`, "1", "对账月份不能为空!", "", false},
		{"numeric msg_id", `{"msg_id":123,"return_code":0}`, "0", "", "", false},
		{"no code", `{"msg_id":"m"}`, "", "", "", true},
		{"null code", `{"return_code":null}`, "", "", "", true},
		{"empty string code", `{"return_code":""}`, "", "", "", true},
		{"float code", `{"return_code":0.0}`, "", "", "", true},
		{"object code", `{"return_code":{}}`, "", "", "", true},
		{"data string of plain text", `{"return_code":0,"response_data":"保存成功"}`, "0", "", "", false},
		{"HTML", `<html>502 Bad Gateway</html>`, "", "", "", true},
		{"array", `[]`, "", "", "", true},
		{"null", `null`, "", "", "", true},
		{"empty", ``, "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := decodeEnvelope([]byte(tt.in))
			if tt.bad {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				return
			}
			if err == nil && tt.name == "data string of plain text" && e.Text != "保存成功" {
				t.Fatalf("text = %q", e.Text)
			}
			if err != nil || e.Code != tt.code || e.Msg != tt.msg || string(e.Data) != tt.data {
				t.Fatalf("got %+v (data %s) err %v", e, e.Data, err)
			}
		})
	}
}

func TestFlexString(t *testing.T) {
	t.Parallel()
	var info StatementInfo
	// A 19-digit id as a number keeps every digit (a float64 would not).
	if err := json.Unmarshal([]byte(`{"statement_id":7628813591021350683,"serial_no":"FY1","customer_id":null,"extra":{"x":1}}`), &info); err != nil {
		t.Fatal(err)
	}
	if info.StatementID != "7628813591021350683" || info.SerialNo != "FY1" || info.CustomerID != "" {
		t.Fatalf("info = %+v", info)
	}
	var c Customer
	if err := json.Unmarshal([]byte(`{"customer_code":8152904002,"use_signature":true}`), &c); err != nil || c.CustomerCode != "8152904002" || c.UseSignature != "true" {
		t.Fatalf("customer = %+v %v", c, err)
	}
}

// FuzzDecodeEnvelope: never panics; what it accepts has a code and JSON data,
// and survives a round trip through the documented (string) shape.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"msg_id":"PRD00001","return_code":0}`,
		`{"msg_id":"PRD00001","return_code":100608,"return_msg":"对账单号为空"}`,
		`{"return_code":"0","return_msg":"响应信息","msg_id":"x","response_data":"[{\"statement_id\":\"7628813591021350683\"}]"}`,
		`{"return_code":0,"response_data":[1,2]}`,
		`{"return_code":"1","response_data":""}`,
		`{"return_code":-1}`,
		`<html></html>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEnvelope(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error without ErrMalformed: %v", err)
			}
			return
		}
		if e.Code == "" {
			t.Fatal("accepted without a code")
		}
		if e.Data != nil && !json.Valid(e.Data) {
			t.Fatalf("data is not JSON: %q", e.Data)
		}
		data := string(e.Data)
		if e.Text != "" {
			data = e.Text
		}
		again, err := json.Marshal(map[string]any{"msg_id": e.MsgID, "return_code": e.Code, "return_msg": e.Msg, "response_data": data})
		if err != nil {
			t.Fatal(err)
		}
		e2, err := decodeEnvelope(again)
		if err != nil {
			t.Fatalf("round trip of %+v: %v", e, err)
		}
		// encoding/json replaces invalid UTF-8: compare only valid text.
		if utf8.ValidString(e.Code) && utf8.Valid(e.Data) && utf8.ValidString(e.Text) && (e2.Code != e.Code || !bytes.Equal(e2.Data, e.Data) || e2.Text != e.Text) {
			t.Fatalf("round trip %+v -> %+v", e, e2)
		}
	})
}
