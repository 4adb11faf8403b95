package oms

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/upstream"
)

// Transaction types seen in finance.getTransactionList.
const (
	TransIncome  = "income"
	TransExpense = "expense"
)

// TxQuery holds the filters of finance.getTransactionList. Zero fields are
// not sent.
type TxQuery struct {
	AccountID  string
	Start, End time.Time // sent as Shanghai yyyy-MM-dd HH:mm:ss
	TransType  string    // TransIncome, TransExpense, or empty for all
}

// Transaction is one account movement. Balance is the balance after it.
type Transaction struct {
	TransID      string
	AccountID    string
	AccountName  string
	TransType    string
	Amount       decimal.Decimal
	Balance      decimal.Decimal
	TransTime    time.Time // Shanghai
	Remark       string
	RawTransTime string
}

// Account is one account of finance.getAccountBalance.
type Account struct {
	AccountID   string
	AccountName string
	AccountType string
	Balance     decimal.Decimal
	Currency    string
}

// Transactions calls fn with every movement matching q, across all pages.
// On error, the movements already delivered must be discarded.
func (c *Client) Transactions(ctx context.Context, q TxQuery, fn func(Transaction) error) error {
	p := map[string]string{}
	set(p, "account_id", q.AccountID)
	set(p, "trans_type", q.TransType)
	if err := timeRange(p, q.Start, q.End); err != nil {
		return &upstream.Error{Vendor: Vendor, Op: MethodTransactions, Message: "invalid query: " + err.Error(), Permanent: true}
	}
	return pageAll(ctx, c, MethodTransactions, p, decodeTransactions, func(t Transaction) string { return t.TransID }, fn)
}

// AccountBalance returns the accounts the vendor lists for accountID (all
// accounts when it is empty), as the vendor sends them.
func (c *Client) AccountBalance(ctx context.Context, accountID string) ([]Account, error) {
	p := map[string]string{}
	set(p, "account_id", accountID)
	payload, err := c.call(ctx, MethodBalance, p)
	if err != nil {
		return nil, err
	}
	accts, err := decodeAccounts(payload)
	if err != nil {
		return nil, malformed(MethodBalance, err)
	}
	return accts, nil
}

type wireTx struct {
	TransID     text   `json:"trans_id"`
	AccountID   text   `json:"account_id"`
	AccountName text   `json:"account_name"`
	TransType   text   `json:"trans_type"`
	Amount      number `json:"amount"`
	Balance     number `json:"balance"`
	TransTime   text   `json:"trans_time"`
	Remark      text   `json:"remark"`
}

// decodeTransactions reads a finance.getTransactionList payload.
func decodeTransactions(payload []byte) (int, []Transaction, error) {
	var w wireList[wireTx]
	if err := json.Unmarshal(emptyObject(payload), &w); err != nil {
		return 0, nil, err
	}
	n, err := w.Count.count()
	if err != nil {
		return 0, nil, err
	}
	rows := w.rows()
	out := make([]Transaction, 0, len(rows))
	for i, r := range rows {
		t := Transaction{
			TransID: string(r.TransID), AccountID: string(r.AccountID), AccountName: string(r.AccountName),
			TransType: strings.ToLower(string(r.TransType)), Remark: string(r.Remark), RawTransTime: string(r.TransTime),
		}
		if t.Amount, err = r.Amount.decimal("amount"); err == nil {
			if t.Balance, err = r.Balance.decimal("balance"); err == nil {
				t.TransTime, err = parseTime("trans_time", t.RawTransTime)
			}
		}
		if err != nil {
			return 0, nil, fmt.Errorf("lists[%d]: %w", i, err)
		}
		out = append(out, t)
	}
	return n, out, nil
}

// decodeAccounts reads a finance.getAccountBalance payload: {"accounts":[…]}
// or the array itself.
func decodeAccounts(payload []byte) ([]Account, error) {
	type wireAccount struct {
		AccountID   text   `json:"account_id"`
		AccountName text   `json:"account_name"`
		AccountType text   `json:"account_type"`
		Balance     number `json:"balance"`
		Currency    text   `json:"currency"`
	}
	var list phpList[wireAccount]
	payload = emptyObject(payload)
	if trimmed := strings.TrimSpace(string(payload)); strings.HasPrefix(trimmed, "[") {
		if err := json.Unmarshal(payload, &list); err != nil {
			return nil, err
		}
	} else {
		var w struct {
			Accounts phpList[wireAccount] `json:"accounts"`
		}
		if err := json.Unmarshal(payload, &w); err != nil {
			return nil, err
		}
		list = w.Accounts
	}
	out := make([]Account, 0, len(list))
	for i, a := range list {
		bal, err := a.Balance.decimal("balance")
		if err != nil {
			return nil, fmt.Errorf("accounts[%d]: %w", i, err)
		}
		out = append(out, Account{AccountID: string(a.AccountID), AccountName: string(a.AccountName),
			AccountType: string(a.AccountType), Balance: bal, Currency: string(a.Currency)})
	}
	return out, nil
}
