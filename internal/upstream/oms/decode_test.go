package oms

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseEnvelope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		payload string // compacted expectation for success
		failed  bool
		code    string
		msg     string
		bad     bool
	}{
		{name: "response", body: `{"response":{"count":1}}`, payload: `{"count":1}`},
		{name: "bare", body: ` {"count":1,"lists":[]} `, payload: `{"count":1,"lists":[]}`},
		{name: "response as string", body: `{"response":"{\"count\":2}"}`, payload: `{"count":2}`},
		{name: "code 0 with data", body: `{"code":0,"msg":"成功","data":{"count":3}}`, payload: `{"count":3}`},
		{name: "code \"0\" inline", body: `{"code":"0","count":4}`, payload: `{"count":4}`},
		{name: "rsp succ", body: `{"rsp":"succ","data":{"accounts":[]}}`, payload: `{"accounts":[]}`},
		{name: "error_response", body: `{"error_response":{"code":"e000002","msg":"签名错误"}}`, failed: true, code: "e000002", msg: "签名错误"},
		{name: "error_response sub", body: `{"error_response":{"code":"e000008","msg":"x","sub_msg":"timestamp expired"}}`, failed: true, code: "e000008", msg: "x; timestamp expired"},
		{name: "error_response string", body: `{"error_response":"busy"}`, failed: true, msg: "busy"},
		{name: "numeric code", body: `{"code":1003,"msg":"签名错误"}`, failed: true, code: "1003", msg: "签名错误"},
		{name: "numeric code as string", body: `{"code":"2001","message":"缺少必要的参数"}`, failed: true, code: "2001", msg: "缺少必要的参数"},
		{name: "rsp fail res", body: `{"rsp":"fail","res":"e000009","err_msg":"重复请求"}`, failed: true, code: "e000009", msg: "重复请求"},
		{name: "rsp fail data msg", body: `{"rsp":"fail","code":500,"data":"服务器内部错误"}`, failed: true, code: "500", msg: "服务器内部错误"},
		{name: "not an object", body: `[1,2]`, bad: true},
		{name: "html", body: `<html></html>`, bad: true},
		{name: "empty", body: ``, bad: true},
		{name: "truncated", body: `{"response":{`, bad: true},
		{name: "string payload not JSON", body: `{"response":"ok"}`, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := parseEnvelope([]byte(tt.body))
			if tt.bad {
				if err == nil {
					t.Fatalf("accepted %q: %+v", tt.body, env)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if env.failed != tt.failed || env.code != tt.code || env.msg != tt.msg {
				t.Fatalf("env = %+v", env)
			}
			if !tt.failed && strings.Join(strings.Fields(string(env.payload)), "") != tt.payload {
				t.Fatalf("payload = %s", env.payload)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code, msg string
		want      class
	}{
		{"1003", "", classPermanent},
		{"E000002", "", classPermanent},
		{"e000008", "", classResign},
		{"1002", "", classResign},
		{"500", "", classTransient},
		{"e000077", "请求已过期", classResign},
		{"e000077", "缺少必要的参数 bill_bn", classPermanent},
		{"e000077", "no permission", classPermanent},
		{"e000077", "系统繁忙", classTransient},
		{"", "", classTransient},
	}
	for _, tt := range tests {
		t.Run(tt.code+"/"+tt.msg, func(t *testing.T) {
			t.Parallel()
			if got := classify(tt.code, tt.msg); got != tt.want {
				t.Fatalf("classify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeMoneyExact(t *testing.T) {
	t.Parallel()
	body := `{"count":"3","lists":[
		{"trans_id":"a","amount":0.1,"balance":"0.30","trans_time":"2026-11-01 00:00:00"},
		{"trans_id":"b","amount":12345678901234567.89,"balance":-1e2,"trans_time":"2026-11-02"},
		{"trans_id":"c","amount":"","balance":null,"trans_time":""}]}`
	n, rows, err := decodeTransactions([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, r := range rows {
		got = append(got, r.Amount.String()+"/"+r.Balance.String())
	}
	if n != 3 || strings.Join(got, " ") != "0.1/0.3 12345678901234567.89/-100 0/0" {
		t.Fatalf("n=%d got %v", n, got)
	}
	if !rows[2].TransTime.IsZero() || rows[1].TransTime.Day() != 2 {
		t.Fatalf("times %v %v", rows[1].TransTime, rows[2].TransTime)
	}
	for _, bad := range []string{`"12,00"`, `"abc"`, `true`, `{}`, `"1e999"`, `"` + strings.Repeat("9", 65) + `"`} {
		_, _, err := decodeTransactions(fmt.Appendf(nil, `{"count":1,"lists":[{"amount":%s}]}`, bad))
		if err == nil {
			t.Errorf("amount %s accepted", bad)
		}
	}
}

func TestPHPShapes(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"empty array payload": `[]`,
		"null payload":        `null`,
		"lists as {}":         `{"count":0,"lists":{}}`,
	} {
		n, rows, err := decodeARList([]byte(body))
		if err != nil || n > 0 || len(rows) != 0 {
			t.Errorf("%s: n=%d rows=%d err=%v", name, n, len(rows), err)
		}
	}
	n, rows, err := decodeARList([]byte(`{"count":2,"lists":{"10":{"bill_bn":"B"},"2":{"bill_bn":"A"}}}`))
	if err != nil || n != 2 || len(rows) != 2 || rows[0].BillBN != "A" || rows[1].BillBN != "B" {
		t.Fatalf("keyed lists: %+v %v", rows, err)
	}
	accts, err := decodeAccounts([]byte(`[{"account_id":1001,"balance":"5"}]`))
	if err != nil || len(accts) != 1 || accts[0].AccountID != "1001" || accts[0].Balance.String() != "5" {
		t.Fatalf("bare account array: %+v %v", accts, err)
	}
}

func TestInterpretStatus(t *testing.T) {
	t.Parallel()
	_, resign, err := interpret(MethodARList, 200, []byte(`{"error_response":{"code":"e000009","msg":"repeat"}}`))
	if !resign || err == nil {
		t.Fatalf("repeat: resign=%v err=%v", resign, err)
	}
	_, resign, err = interpret(MethodARList, 503, []byte(`{"error_response":{"code":"e000008"}}`))
	if resign || err == nil {
		t.Fatal("a non-2xx answer is never re-signed inside the client")
	}
	payload, _, err := interpret(MethodARList, 200, []byte(`{"response":{"count":0}}`))
	if err != nil || string(payload) != `{"count":0}` {
		t.Fatalf("payload %s err %v", payload, err)
	}
}

func BenchmarkDecodeARList(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"count":100,"lists":[`)
	for i := range 100 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"shop_code":"SHOP001","shop_name":"测试店铺","supplier_code":"SUP001","supplier_name":"测试供应商","bill_bn":"BILL%08d","bill_type":"销售单","amount":"%d.50","currency":"CNY","status":"未结算","create_time":"2024-01-01 10:00:00","due_date":"2024-01-15 00:00:00"}`, i, i*100)
	}
	sb.WriteString(`]}`)
	body := []byte(`{"response":` + sb.String() + `}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		env, err := parseEnvelope(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := decodeARList(env.payload); err != nil {
			b.Fatal(err)
		}
	}
}
