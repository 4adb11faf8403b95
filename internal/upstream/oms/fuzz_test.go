package oms

import (
	"testing"

	"github.com/shopspring/decimal"
)

// Each decoder must never panic, and whatever it accepts must be sane:
// counts not negative, money that formats and reads back to itself.

func addSeeds(f *testing.F, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
}

func checkMoney(t *testing.T, ds ...decimal.Decimal) {
	t.Helper()
	for _, d := range ds {
		back, err := decimal.NewFromString(d.String())
		if err != nil || !back.Equal(d) {
			t.Fatalf("money %s does not read back: %v", d, err)
		}
	}
}

func FuzzParseEnvelope(f *testing.F) {
	addSeeds(f, `{"response":{"count":1}}`, `{"error_response":{"code":"e000002","msg":"x"}}`,
		`{"code":1003,"msg":"签名错误"}`, `{"rsp":"fail","res":"e1"}`, `{"rsp":"succ","data":"{\"a\":1}"}`,
		`{"code":0,"data":[]}`, `<html>`, `{"response":"x"}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range []int{200, 500} {
			payload, resign, err := interpret(MethodARList, status, body)
			if err == nil && (resign || payload == nil) {
				t.Fatalf("success with resign=%v payload=%q", resign, payload)
			}
		}
	})
}

func FuzzDecodeARList(f *testing.F) {
	addSeeds(f, `{"count":100,"lists":[{"bill_bn":"B1","amount":"10000.00","create_time":"2024-01-01 10:00:00","due_date":"2024-01-15 00:00:00"}]}`,
		`{"count":"2","lists":{"1":{"amount":1.5}}}`, `[]`, `null`, `{"list":[{"amount":-0.01}]}`)
	f.Fuzz(func(t *testing.T, payload []byte) {
		n, rows, err := decodeARList(payload)
		if err != nil {
			return
		}
		if n < -1 {
			t.Fatalf("count %d", n)
		}
		for _, r := range rows {
			checkMoney(t, r.Amount)
		}
	})
}

func FuzzDecodeARDetail(f *testing.F) {
	addSeeds(f, `{"bill_bn":"B1","amount":"10000.00","items":[{"item_code":"I","amount":"5000.00","quantity":"10","unit_price":"500.00"}]}`,
		`{"bill_bn":1,"items":{}}`, `{}`, `[]`)
	f.Fuzz(func(t *testing.T, payload []byte) {
		d, err := decodeARDetail(payload)
		if err != nil {
			return
		}
		checkMoney(t, d.Amount)
		for _, it := range d.Items {
			checkMoney(t, it.Amount, it.Quantity, it.UnitPrice)
		}
	})
}

func FuzzDecodeTransactions(f *testing.F) {
	addSeeds(f, `{"count":100,"lists":[{"trans_id":"T1","trans_type":"income","amount":1000.00,"balance":11000.00,"trans_time":"2024-01-01 10:00:00"}]}`,
		`{"count":1,"lists":[{"amount":"1e3","balance":-5}]}`, `{}`)
	f.Fuzz(func(t *testing.T, payload []byte) {
		n, rows, err := decodeTransactions(payload)
		if err != nil {
			return
		}
		if n < -1 {
			t.Fatalf("count %d", n)
		}
		for _, r := range rows {
			checkMoney(t, r.Amount, r.Balance)
		}
	})
}

func FuzzDecodeAccounts(f *testing.F) {
	addSeeds(f, `{"accounts":[{"account_id":"ACC001","balance":10000.00,"currency":"CNY"}]}`,
		`[{"account_id":"A","balance":"5"}]`, `{"accounts":{}}`, `null`)
	f.Fuzz(func(t *testing.T, payload []byte) {
		accts, err := decodeAccounts(payload)
		if err != nil {
			return
		}
		for _, a := range accts {
			checkMoney(t, a.Balance)
		}
	})
}
