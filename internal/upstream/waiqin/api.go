package waiqin

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

// invalid wraps a local validation failure: nothing was sent, and sending the
// same document again cannot succeed.
func invalid(iface string, err error) error {
	return &upstream.Error{Vendor: Vendor, Op: iface, Permanent: true, Message: "not sent: " + err.Error(), Err: err}
}

// SaveStatement saves a goods statement (货款对账单); 勤策 replaces one
// with the same serial_no. s is validated first (statement.Validate).
func (c *Client) SaveStatement(ctx context.Context, s *statement.Statement) error {
	if err := s.Validate(); err != nil {
		return invalid(IfaceSaveStatement, err)
	}
	_, err := c.call(ctx, IfaceSaveStatement, encodeStatement(s))
	return err
}

// SaveStatementError tells 勤策 why a goods statement could not be built.
// The reason must fit statement.MaxErrorReason characters: the caller cuts.
func (c *Client) SaveStatementError(ctx context.Context, l statement.ErrorLog) error {
	return c.saveError(ctx, IfaceSaveStatementError, &l)
}

// SaveExpense saves an expense statement (费用对账单); 勤策 replaces one
// with the same statement_no. e is validated first.
func (c *Client) SaveExpense(ctx context.Context, e *statement.Expense) error {
	if err := e.Validate(); err != nil {
		return invalid(IfaceSaveExpense, err)
	}
	_, err := c.call(ctx, IfaceSaveExpense, encodeExpense(e))
	return err
}

// SaveExpenseError tells 勤策 why an expense statement could not be built.
func (c *Client) SaveExpenseError(ctx context.Context, l statement.ErrorLog) error {
	return c.saveError(ctx, IfaceSaveExpenseError, &l)
}

func (c *Client) saveError(ctx context.Context, iface string, l *statement.ErrorLog) error {
	if err := l.Validate(); err != nil {
		return invalid(iface, err)
	}
	_, err := c.call(ctx, iface, encodeErrorLog(l))
	return err
}

// Query selects statements of one month (queryStatement,
// queryExpenseStatement).
type Query struct {
	CustomerCode string `json:"customer_code,omitempty"` // optional, VARCHAR(100)
	TradeMonth   string `json:"trade_month"`             // required, yyyy-MM
}

func (q Query) validate() error {
	if q.TradeMonth == "" {
		return &statement.FieldError{Field: "trade_month", Problem: statement.ProblemRequired}
	}
	if _, err := time.Parse(statement.LayoutMonth, q.TradeMonth); err != nil {
		return &statement.FieldError{Field: "trade_month", Problem: statement.ProblemFormat, Detail: fmt.Sprintf("%q is not yyyy-MM", q.TradeMonth)}
	}
	if n := utf8.RuneCountInString(q.CustomerCode); n > statement.MaxCustomer {
		return &statement.FieldError{Field: "customer_code", Problem: statement.ProblemTooLong, Limit: statement.MaxCustomer, Length: n}
	}
	return nil
}

// queryPage is a query's request body; page_number is text (VARCHAR(32)).
type queryPage struct {
	Query
	PageNumber string `json:"page_number"`
}

// StatementInfo is one statement a query returns (the DATA of
// queryStatement / queryExpenseStatement). Every value is text; numbers 勤策
// sends instead keep their exact digits.
type StatementInfo struct {
	StatementID     string `json:"statement_id"` // 勤策's id
	SerialNo        string `json:"serial_no"`    // statement number
	CustomerCode    string `json:"customer_code"`
	CustomerName    string `json:"customer_name"`
	StartDate       string `json:"start_date"` // yyyy-MM-dd
	EndDate         string `json:"end_date"`   // yyyy-MM-dd
	LastPerson      string `json:"last_person"`
	LastDate        string `json:"last_date"`
	StatementStatus string `json:"statement_status"` // e.g. 已确认
	CustomerID      string `json:"customer_id"`
	ModifyTime      string `json:"modify_time"` // yyyy-MM-dd HH:mm:ss
	ApproveName     string `json:"approve_name"`
	ApproveTime     string `json:"approve_time"`
}

// UnmarshalJSON accepts strings, numbers or null for every field.
func (s *StatementInfo) UnmarshalJSON(b []byte) error {
	var m map[string]flexString
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*s = StatementInfo{
		StatementID: string(m["statement_id"]), SerialNo: string(m["serial_no"]),
		CustomerCode: string(m["customer_code"]), CustomerName: string(m["customer_name"]),
		StartDate: string(m["start_date"]), EndDate: string(m["end_date"]),
		LastPerson: string(m["last_person"]), LastDate: string(m["last_date"]),
		StatementStatus: string(m["statement_status"]), CustomerID: string(m["customer_id"]),
		ModifyTime: string(m["modify_time"]), ApproveName: string(m["approve_name"]),
		ApproveTime: string(m["approve_time"]),
	}
	return nil
}

// Customer is one customer getCustomers returns: the customers statements
// are kept for.
type Customer struct {
	CustomerCode string `json:"customer_code"`
	UseSignature string `json:"use_signature"` // 使用电子签章
}

// UnmarshalJSON accepts strings, numbers or null for every field.
func (cu *Customer) UnmarshalJSON(b []byte) error {
	var m map[string]flexString
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*cu = Customer{CustomerCode: string(m["customer_code"]), UseSignature: string(m["use_signature"])}
	return nil
}

// QueryStatement calls fn for every goods statement matching q, page after
// page. An error from fn stops the query and is returned as is.
func (c *Client) QueryStatement(ctx context.Context, q Query, fn func(StatementInfo) error) error {
	return c.query(ctx, IfaceQueryStatement, q, fn)
}

// QueryExpenseStatement calls fn for every expense statement matching q.
func (c *Client) QueryExpenseStatement(ctx context.Context, q Query, fn func(StatementInfo) error) error {
	return c.query(ctx, IfaceQueryExpenseStatement, q, fn)
}

func (c *Client) query(ctx context.Context, iface string, q Query, fn func(StatementInfo) error) error {
	if err := q.validate(); err != nil {
		return invalid(iface, err)
	}
	return c.pages(ctx, iface,
		func(page string) ([]byte, error) { return json.Marshal(queryPage{Query: q, PageNumber: page}) },
		func(item json.RawMessage) error {
			var s StatementInfo
			if err := json.Unmarshal(item, &s); err != nil {
				return malformedItem(iface, err)
			}
			return fn(s)
		})
}

// GetCustomers calls fn for every customer 勤策 keeps statements for.
// 勤策 documents no paging here; a tenant whose answer is paged is read page
// by page, and one that ignores page_number answers the same list twice,
// which ends the loop.
func (c *Client) GetCustomers(ctx context.Context, fn func(Customer) error) error {
	return c.pages(ctx, IfaceGetCustomers,
		func(page string) ([]byte, error) {
			return json.Marshal(struct {
				PageNumber string `json:"page_number"`
			}{page})
		},
		func(item json.RawMessage) error {
			var cu Customer
			if err := json.Unmarshal(item, &cu); err != nil {
				return malformedItem(IfaceGetCustomers, err)
			}
			return fn(cu)
		})
}

func malformedItem(iface string, err error) error {
	return &upstream.Error{Vendor: Vendor, Op: iface, Permanent: true, Message: "malformed list item: " + jsonReason(err), Err: ErrMalformed}
}

// pages asks page 1, 2, … until an empty list, or a page equal to the one
// before (a tenant that ignores page_number), or MaxPages (an error).
func (c *Client) pages(ctx context.Context, iface string, body func(page string) ([]byte, error), each func(json.RawMessage) error) error {
	var prev [sha256.Size]byte
	for page := 1; ; page++ {
		if page > c.maxPages {
			return &upstream.Error{Vendor: Vendor, Op: iface, Permanent: true,
				Message: fmt.Sprintf("still answering after %d pages", c.maxPages)}
		}
		b, err := body(strconv.Itoa(page))
		if err != nil {
			return invalid(iface, err)
		}
		data, err := c.call(ctx, iface, b)
		if err != nil {
			return err
		}
		var items []json.RawMessage
		if len(data) > 0 {
			if err := json.Unmarshal(data, &items); err != nil {
				return &upstream.Error{Vendor: Vendor, Op: iface, Permanent: true,
					Message: "response_data is not a list: " + jsonReason(err), Err: ErrMalformed}
			}
		}
		if len(items) == 0 {
			return nil
		}
		// Only the hash of the last page is kept, not the page.
		sum := sha256.Sum256(data)
		if page > 1 && sum == prev {
			return nil
		}
		prev = sum
		for _, item := range items {
			if err := each(item); err != nil {
				return err
			}
		}
	}
}
