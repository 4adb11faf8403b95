package wdt

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ksfsync/ksfsync/internal/upstream"
)

func TestDecodePageShapes(t *testing.T) {
	t.Parallel()
	rec := `{"account_trade_no":"T1","account_amount":"1.50"}`
	tests := []struct {
		name  string
		body  string
		trade []string
		next  string
	}{
		{"data array (response demo)", `{"resultCode":"200","message":"ok","data":[` + rec + `],"nextRequestId":"17500041962153605512"}`, []string{"T1"}, "17500041962153605512"},
		{"data.records (field table)", `{"resultCode":"200","data":{"records":[` + rec + `,{"account_trade_no":"T2"}]},"nextRequestId":"false"}`, []string{"T1", "T2"}, ""},
		{"resultCode as number", `{"resultCode":200,"data":[` + rec + `]}`, []string{"T1"}, ""},
		{"data null", `{"resultCode":"200","data":null,"nextRequestId":"false"}`, nil, ""},
		{"data missing", `{"resultCode":"200","nextRequestId":""}`, nil, ""},
		{"records null", `{"resultCode":"200","data":{"records":null}}`, nil, ""},
		{"records missing", `{"resultCode":"200","data":{}}`, nil, ""},
		{"data as JSON text", `{"resultCode":"200","data":"[` + strings.ReplaceAll(rec, `"`, `\"`) + `]"}`, []string{"T1"}, ""},
		{"empty data text", `{"resultCode":"200","data":""}`, nil, ""},
		{"wrapped in response", `{"response":{"resultCode":"200","data":[` + rec + `],"nextRequestId":"42"}}`, []string{"T1"}, "42"},
		{"next as boolean false", `{"resultCode":"200","data":[],"nextRequestId":false}`, nil, ""},
		{"next null", `{"resultCode":"200","data":[],"nextRequestId":null}`, nil, ""},
		{"next FALSE", `{"resultCode":"200","data":[],"nextRequestId":"FALSE"}`, nil, ""},
		{"next as big number", `{"resultCode":"200","data":[],"nextRequestId":17500041962153605512}`, nil, "17500041962153605512"},
		{"next inside data", `{"resultCode":"200","data":{"records":[],"nextRequestId":"7"}}`, nil, "7"},
		{"empty top-level next keeps data's", `{"resultCode":"200","data":{"records":[],"nextRequestId":"7"},"nextRequestId":""}`, nil, "7"},
		{"top-level next wins", `{"resultCode":"200","data":{"records":[],"nextRequestId":"7"},"nextRequestId":"false"}`, nil, ""},
		{"BOM and spaces", "\xef\xbb\xbf  {\"resultCode\":\"200\",\"data\":[]}  ", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := decodePage([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range p.bills {
				got = append(got, b.AccountTradeNo)
			}
			if strings.Join(got, ",") != strings.Join(tt.trade, ",") || p.next != tt.next {
				t.Fatalf("records %v next %q; want %v %q", got, p.next, tt.trade, tt.next)
			}
		})
	}
}

func TestDecodePageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		body      string
		permanent bool
		code      string
		msg       string
	}{
		// Gateway (奇门/TOP) error_response.
		{"invalid signature", `{"error_response":{"code":25,"msg":"Invalid signature","sub_code":"isv.invalid-signature","request_id":"x"}}`, true, "25/isv.invalid-signature", "Invalid signature"},
		{"invalid app key", `{"error_response":{"code":"29","msg":"Invalid app Key"}}`, true, "29", "Invalid app Key"},
		{"missing argument", `{"error_response":{"code":40,"msg":"Missing required arguments:shopNo","sub_code":"isv.missing-parameter:shopNo"}}`, true, "40/isv.missing-parameter:shopNo", "shopNo"},
		{"invalid argument", `{"error_response":{"code":41,"msg":"Invalid arguments:type","sub_code":"isv.invalid-parameter:type"}}`, true, "41/isv.invalid-parameter:type", "type"},
		{"permission", `{"error_response":{"code":11,"msg":"Insufficient isv permissions","sub_code":"isv.permission-api-package-limit"}}`, true, "11/isv.permission-api-package-limit", "permissions"},
		{"invalid method", `{"error_response":{"code":22,"msg":"Invalid method"}}`, true, "22", "Invalid method"},
		{"remote error, isv cause", `{"error_response":{"code":15,"msg":"Remote service error","sub_code":"isv.invalid-parameter:startDate","sub_msg":"日期格式错误"}}`, true, "15/isv.invalid-parameter:startDate", "日期格式错误"},
		{"unknown code", `{"error_response":{"code":"999","msg":"something"}}`, true, "999", "something"},
		{"call limited", `{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-app-access-count"}}`, false, "7/accesscontrol.limited-by-app-access-count", "App Call Limited"},
		{"frequency limited", `{"error_response":{"code":8,"msg":"App Call Exceeds Limited Frequency"}}`, false, "8", "Frequency"},
		{"service unavailable", `{"error_response":{"code":10,"msg":"Service Currently Unavailable"}}`, false, "10", "Unavailable"},
		{"remote timeout", `{"error_response":{"code":15,"msg":"Remote service error","sub_code":"isp.top-remote-connection-timeout"}}`, false, "15/isp.top-remote-connection-timeout", "Remote service error"},
		{"remote unavailable", `{"error_response":{"code":15,"msg":"Remote service error","sub_code":"isp.top-remote-service-unavailable"}}`, false, "15/isp.top-remote-service-unavailable", ""},
		{"remote error, no sub code", `{"error_response":{"code":15,"msg":"Remote service error"}}`, false, "15", ""},
		{"isp with other code", `{"error_response":{"code":"50","msg":"x","sub_code":"isp.unknown-error"}}`, false, "50/isp.unknown-error", ""},
		{"expired timestamp", `{"error_response":{"code":31,"msg":"Invalid timestamp"}}`, false, "31", "timestamp"},
		{"busy wording", `{"error_response":{"code":"99","msg":"服务繁忙"}}`, false, "99", "繁忙"},
		{"error inside response", `{"response":{"error_response":{"code":25,"msg":"Invalid signature"}}}`, true, "25", ""},
		// 慧经营 business answers.
		{"busy resultCode", `{"resultCode":"500","message":"系统繁忙，请稍后再试"}`, false, "500", "繁忙"},
		{"busy english", `{"resultCode":"500","message":"Server busy"}`, false, "500", "busy"},
		{"busy in sub_detail", `{"resultCode":"500","message":"失败","sub_resultCode":"LIMIT","sub_detail":"请求过于频繁"}`, false, "500/LIMIT", "频繁"},
		{"429 resultCode", `{"resultCode":"429","message":"too fast"}`, false, "429", ""},
		{"business refusal", `{"resultCode":"403","message":"hjySign 签名校验失败","sub_resultCode":"FAIL","sub_detail":"hjySign 签名校验失败"}`, true, "403/FAIL", "hjySign 签名校验失败"},
		{"business refusal number", `{"resultCode":400,"message":"参数错误"}`, true, "400", "参数错误"},
		{"qimen flag failure", `{"response":{"flag":"failure","code":"sign-check-failure","message":"Illegal request"}}`, true, "sign-check-failure", "Illegal request"},
		// Malformed.
		{"empty body", ``, true, "", "empty answer"},
		{"html", `<html>502</html>`, true, "", "not a JSON object"},
		{"array", `[]`, true, "", "not a JSON object"},
		{"null", `null`, true, "", "not a JSON object"},
		{"no resultCode", `{"message":"ok"}`, true, "", "no resultCode"},
		{"response not object", `{"response":[1]}`, true, "", "response is not"},
		{"data a number", `{"resultCode":"200","data":5}`, true, "", "neither an array nor an object"},
		{"records not array", `{"resultCode":"200","data":{"records":{}}}`, true, "", "records is not"},
		{"record not object", `{"resultCode":"200","data":[1]}`, true, "", "record 0"},
		{"bad money", `{"resultCode":"200","data":[{"account_amount":"1,5"}]}`, true, "", "account_amount"},
		{"error_response not object", `{"error_response":"x"}`, true, "", "error_response is not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodePage([]byte(tt.body))
			e, ok := upstream.As(err)
			if !ok {
				t.Fatalf("err = %v, want *upstream.Error", err)
			}
			if e.Permanent != tt.permanent || e.Code != tt.code || !strings.Contains(e.Error(), tt.msg) {
				t.Fatalf("err = %q permanent=%v code=%q; want permanent=%v code=%q containing %q", e, e.Permanent, e.Code, tt.permanent, tt.code, tt.msg)
			}
			if e.Vendor != "wdt" || e.Op != Method {
				t.Fatalf("vendor/op = %s/%s", e.Vendor, e.Op)
			}
			if errors.Is(err, upstream.ErrTransient) == tt.permanent {
				t.Fatal("errors.Is disagrees with Permanent")
			}
		})
	}
}

func TestClipMsg(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("长", 500)
	_, err := decodePage([]byte(`{"resultCode":"400","message":"` + long + `"}`))
	if e, _ := upstream.As(err); len([]rune(e.Message)) > 201 {
		t.Fatalf("message not clipped: %d runes", len([]rune(e.Message)))
	}
}

// FuzzDecodePage: any answer decodes to records or a classified
// *upstream.Error, never a panic; records re-encode and decode to the same.
func FuzzDecodePage(f *testing.F) {
	f.Add([]byte(`{"resultCode":"200","message":"接口调用成功","data":[` + demoRecord + `],"nextRequestId":"17500041962153605512"}`))
	f.Add([]byte(`{"resultCode":"200","data":{"records":[{"account_amount":"-20.0000","occur_time":"2024-12-11 00:14:00"}]},"nextRequestId":"false"}`))
	f.Add([]byte(`{"response":{"resultCode":200,"data":"[{\"amount\":1.5}]","nextRequestId":false}}`))
	f.Add([]byte(`{"error_response":{"code":25,"msg":"Invalid signature","sub_code":"isv.invalid-signature"}}`))
	f.Add([]byte(`{"resultCode":"500","message":"系统繁忙"}`))
	f.Add([]byte(`{"resultCode":"200","data":[{"occur_time":1733847240000,"fund_flow":1,"event_day":"2024-12-11 00:00:00"}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodePage(body)
		if err != nil {
			if _, ok := upstream.As(err); !ok {
				t.Fatalf("unclassified error %T: %v", err, err)
			}
			return
		}
		for i, b := range p.bills {
			out, err := json.Marshal(b)
			if err != nil {
				t.Fatalf("record %d does not re-encode: %v", i, err)
			}
			var again Bill
			if err := json.Unmarshal(out, &again); err != nil {
				t.Fatalf("record %d re-encoded as %s does not decode: %v", i, out, err)
			}
			if !again.AccountAmount.Equal(b.AccountAmount) || !again.Amount.Equal(b.Amount) ||
				!again.OccurTime.Equal(b.OccurTime) || !again.CreateTime.Equal(b.CreateTime) ||
				again.AccountTradeNo != b.AccountTradeNo || again.FundFlow != b.FundFlow || again.EventDay != b.EventDay {
				t.Fatalf("record %d changed in a round trip:\n%+v\n%+v", i, b, again)
			}
		}
		if p.next == "false" {
			t.Fatal(`"false" not treated as the end`)
		}
	})
}

// BenchmarkDecodePage decodes a full page of 200 demo records.
func BenchmarkDecodePage(b *testing.B) {
	recs := make([]string, 200)
	for i := range recs {
		recs[i] = demoRecord
	}
	body := []byte(`{"resultCode":"200","message":"接口调用成功","data":[` + strings.Join(recs, ",") + `],"nextRequestId":"17500041962153605512"}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := decodePage(body)
		if err != nil || len(p.bills) != 200 {
			b.Fatal(err)
		}
	}
}
