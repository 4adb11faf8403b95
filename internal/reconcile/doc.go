// Package reconcile builds 勤策 statements from source records. It is pure:
// records in, statement out, no network, no files and no clock ("today" is a
// parameter), so every rule here is checked by golden tests and a fuzz target.
//
// Four builders cover the sources DESIGN.md names:
//
//   - BuildGoods: the goods statement (货款对账单) from 商派 OMS AR bills and
//     account transactions, with balances and the 对账差异 check;
//   - BuildGoodsFromJDY: the goods statement summary from 金蝶精斗云
//     customer_business (current and last calendar month only);
//   - BuildExpense: the expense statement (费用对账单) from 旺店通慧经营 bills;
//   - BuildExpenseFromOMS: the expense statement from OMS transactions.
//
// Every value written fits the spec's VARCHAR sizes: human text is shortened
// with "…"; numbers and the identifiers of goods statements are never cut —
// a value that cannot be represented makes the build fail with an *Error
// wrapping ErrUnrepresentable — while over-long 旺店通 identifiers (an ext
// value or voucher_no) are shortened uniquely by ShortenID. Same-second
// account transactions are ordered by the balance chain (txOrder). All
// *Error values match retry.ErrPermanent: the same records can never build,
// so the worker reports them to 勤策 at once (in Chinese: Error.Zh) instead
// of retrying.
// docs/statement-mapping.md documents the mapping field by field.
package reconcile
