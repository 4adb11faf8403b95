package webhook_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ksfsync/ksfsync/internal/webhook"
)

func parse(body, contentType string) (webhook.Request, error) {
	r := httptest.NewRequest(http.MethodPost, webhook.PushPath, strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	return webhook.ParseRequest(r)
}

// fields lists a Request's fields by 勤策's names.
func fields(p webhook.Request) map[string]string {
	return map[string]string{"msgId": p.MsgID, "dataId": p.DataID, "dataVersion": p.DataVersion, "dataFormat": p.DataFormat,
		"dataSource": p.DataSource, "timestamp": p.Timestamp, "status": p.Status, "statusTime": p.StatusTime,
		"tenantId": p.TenantID, "digest": p.Digest, "dataType": p.DataType, "data": p.Data}
}

// FuzzParseForm: the form parser never panics, and what it accepts survives
// a round trip through url.Values (the standard library's encoding).
func FuzzParseForm(f *testing.F) {
	f.Add("msgId=m1&tenantId=t&timestamp=1763700000000&digest=abc&dataType=ksf_statement&data=%7B%22customer_code%22%3A%22c1%22%7D")
	f.Add("data=a+b%20c&data2=x&&=&msgId")
	f.Add("%zz=1")
	f.Add("msgId=1&msgId=2")
	f.Add("data=%E4%B8%AD%E6%96%87;x=1")
	f.Fuzz(func(t *testing.T, body string) {
		p, err := parse(body, "application/x-www-form-urlencoded")
		if err != nil {
			return
		}
		_ = p.Check() // must not panic either
		v := url.Values{}
		for k, s := range fields(p) {
			v.Set(k, s)
		}
		again, err := parse(v.Encode(), "application/x-www-form-urlencoded")
		if err != nil {
			t.Fatalf("re-encoded %q: %v", v.Encode(), err)
		}
		if again != p {
			t.Fatalf("round trip changed the push:\n%+v\n%+v", p, again)
		}
	})
}

// FuzzParseJSON: the JSON parser never panics, and what it accepts survives
// a round trip through encoding/json with every field a string.
func FuzzParseJSON(f *testing.F) {
	f.Add(`{"msgId":"m1","tenantId":"t","timestamp":1763700000000,"digest":"abc","dataType":"ksf_statement","data":"{\"customer_code\":\"c1\"}"}`)
	f.Add(`{"data":{"customer_code":"c1"}}`)
	f.Add(`{"msgId":null,"status":2}`)
	f.Add(`[1]`)
	f.Add(`{"msgId":"a"} x`)
	f.Fuzz(func(t *testing.T, body string) {
		p, err := parse(body, "application/json")
		if err != nil {
			return
		}
		_ = p.Check()
		b, err := json.Marshal(fields(p))
		if err != nil {
			t.Fatal(err)
		}
		again, err := parse(string(b), "application/json")
		if err != nil {
			t.Fatalf("re-encoded %s: %v", b, err)
		}
		// encoding/json replaces invalid UTF-8 with U+FFFD, so compare only valid pushes.
		if json.Valid(b) && strings.ToValidUTF8(body, "") == body && again != p {
			t.Fatalf("round trip changed the push:\n%+v\n%+v", p, again)
		}
	})
}
