// Package statement is the wire model of the documents ksfsync sends to 勤策:
// the goods statement (saveStatement), the expense statement (saveExpense)
// and the error log (save*Error). JSON names match the vendor's spec field for
// field; every value is text, as the spec's VARCHAR columns are. Money is
// formatted by the builder (internal/reconcile) with two decimals.
package statement

// Ext is one custom field (exts / trade.exts). Both parts are VARCHAR(32).
type Ext struct {
	Key   string `json:"ext_key"`
	Value string `json:"ext_value"`
}

// Statement is the saveStatement body (货款对账单).
type Statement struct {
	SerialNo       string  `json:"serial_no"` // statement number, VARCHAR(32)
	CustomerCode   string  `json:"customer_code"`
	StartDate      string  `json:"start_date,omitempty"`  // yyyy-MM-dd
	EndDate        string  `json:"end_date,omitempty"`    // yyyy-MM-dd
	TradeMonth     string  `json:"trade_month,omitempty"` // yyyy-MM
	DeptCode       string  `json:"dept_code,omitempty"`
	DeptName       string  `json:"dept_name,omitempty"`
	DeptSourceCode string  `json:"dept_source_code,omitempty"`
	BusinessName   string  `json:"business_name,omitempty"`
	BusinessAddr   string  `json:"business_addr,omitempty"`
	Telphone       string  `json:"telphone,omitempty"` // sic: the vendor's spelling
	BeginBalance   string  `json:"begin_balance"`      // 期初余额
	Zjkje          string  `json:"zjkje"`              // 本期缴款金额 payments
	Zchje          string  `json:"zchje"`              // 本期出货金额 sales amount
	Zthje          string  `json:"zthje"`              // 本期退货金额 returns amount
	Zqmye          string  `json:"zqmye"`              // 期末余额
	Zchsl          string  `json:"zchsl"`              // 本期出货数量 sales quantity
	Zthsl          string  `json:"zthsl"`              // 本期退货数量 returns quantity
	Zjcsl          string  `json:"zjcsl"`              // 本期出货净数量 net quantity
	Trade          []Trade `json:"trade"`
	Exts           []Ext   `json:"exts"`
}

// Trade is one trade row of a goods statement.
type Trade struct {
	StatementNo  string   `json:"statement_no"` // = Statement.SerialNo
	SerialNo     string   `json:"serial_no"`    // 1..n
	VoucherNo    string   `json:"voucher_no"`
	TradeDesc    string   `json:"trade_desc"`
	TradeAmount  string   `json:"trade_amount"`
	TotalCount   string   `json:"total_count"`
	TradeDate    string   `json:"trade_date"` // yyyy-MM-dd
	CustomerCode string   `json:"customer_code"`
	StartDate    string   `json:"start_date"`
	Exts         []Ext    `json:"exts"`
	Detail       []Detail `json:"detail"`
}

// Detail is one item row of a trade.
type Detail struct {
	StatementNo  string `json:"statement_no"`
	SerialNo     string `json:"serial_no"`
	VoucherNo    string `json:"voucher_no"` // = Trade.VoucherNo
	ProductCode  string `json:"product_code"`
	ProductName  string `json:"product_name"`
	Amount       string `json:"amount"`
	Number       string `json:"number"`
	CustomerCode string `json:"customer_code"`
	StartDate    string `json:"start_date"`
}

// Expense is the saveExpense body (费用对账单).
type Expense struct {
	StatementNo    string         `json:"statement_no"` // VARCHAR(32)
	CustomerCode   string         `json:"customer_code"`
	StartDate      string         `json:"start_date,omitempty"`
	EndDate        string         `json:"end_date,omitempty"`
	TradeMonth     string         `json:"trade_month,omitempty"`
	DeptCode       string         `json:"dept_code,omitempty"`
	DeptName       string         `json:"dept_name,omitempty"`
	DeptSourceCode string         `json:"dept_source_code,omitempty"`
	Trade          []ExpenseTrade `json:"trade"`
	Exts           []Ext          `json:"exts"`
}

// ExpenseTrade is one trade row of an expense statement.
type ExpenseTrade struct {
	SerialNo  string `json:"serial_no"`
	VoucherNo string `json:"voucher_no"`
	TradeDate string `json:"trade_date"` // yyyy-MM-dd HH:mm:ss
	TradeType string `json:"trade_type"`
	Exts      []Ext  `json:"exts"`
}

// ErrorLog is the saveStatementError / saveExpenseError body.
type ErrorLog struct {
	CustomerCode string `json:"customer_code"`          // VARCHAR(32)
	StartDate    string `json:"start_date"`             // yyyy-MM-dd
	ErrorReason  string `json:"error_reason"`           // VARCHAR(100), counted in characters
	ErrorStatus  string `json:"error_status,omitempty"` // VARCHAR(32)
}
