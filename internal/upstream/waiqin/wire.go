package waiqin

import (
	"unicode/utf8"

	"github.com/ksfsync/ksfsync/internal/statement"
)

// The save bodies are written by hand rather than with encoding/json, whose
// Encoder marshals into its own growing (and pooled) buffer and then copies:
// for a 50,000-line statement that is two or three copies of tens of MiB.
// Here a first pass measures the exact size, a second appends into one slice
// of that size: one copy, no growth. Output is byte-identical to
// encoding/json with SetEscapeHTML(false) except that nil lists are written
// as [] (勤策 is a Java service; null lists are an invitation to an NPE).
// wire_test.go checks that equivalence field by field.

// jsonOut either measures (sizing) or appends.
type jsonOut struct {
	sizing bool
	n      int
	b      []byte
}

func (w *jsonOut) raw(s string) {
	if w.sizing {
		w.n += len(s)
		return
	}
	w.b = append(w.b, s...)
}

func (w *jsonOut) str(s string) {
	if w.sizing {
		w.n += quotedLen(s)
		return
	}
	w.b = appendQuoted(w.b, s)
}

// opt writes ,"name":"v" unless v is empty (omitempty).
func (w *jsonOut) opt(key, v string) {
	if v != "" {
		w.raw(key)
		w.str(v)
	}
}

// encode runs f twice: once to size, once to write into an exact buffer.
func encode(f func(w *jsonOut)) []byte {
	w := jsonOut{sizing: true}
	f(&w)
	w = jsonOut{b: make([]byte, 0, w.n)}
	f(&w)
	return w.b
}

func encodeStatement(s *statement.Statement) []byte {
	return encode(func(w *jsonOut) { writeStatement(w, s) })
}

func encodeExpense(e *statement.Expense) []byte {
	return encode(func(w *jsonOut) { writeExpense(w, e) })
}

func encodeErrorLog(l *statement.ErrorLog) []byte {
	return encode(func(w *jsonOut) { writeErrorLog(w, l) })
}

func writeExts(w *jsonOut, exts []statement.Ext) {
	w.raw("[")
	for i := range exts {
		if i > 0 {
			w.raw(",")
		}
		w.raw(`{"ext_key":`)
		w.str(exts[i].Key)
		w.raw(`,"ext_value":`)
		w.str(exts[i].Value)
		w.raw("}")
	}
	w.raw("]")
}

func writeStatement(w *jsonOut, s *statement.Statement) {
	w.raw(`{"serial_no":`)
	w.str(s.SerialNo)
	w.raw(`,"customer_code":`)
	w.str(s.CustomerCode)
	w.opt(`,"start_date":`, s.StartDate)
	w.opt(`,"end_date":`, s.EndDate)
	w.opt(`,"trade_month":`, s.TradeMonth)
	w.opt(`,"dept_code":`, s.DeptCode)
	w.opt(`,"dept_name":`, s.DeptName)
	w.opt(`,"dept_source_code":`, s.DeptSourceCode)
	w.opt(`,"business_name":`, s.BusinessName)
	w.opt(`,"business_addr":`, s.BusinessAddr)
	w.opt(`,"telphone":`, s.Telphone)
	w.raw(`,"begin_balance":`)
	w.str(s.BeginBalance)
	w.raw(`,"zjkje":`)
	w.str(s.Zjkje)
	w.raw(`,"zchje":`)
	w.str(s.Zchje)
	w.raw(`,"zthje":`)
	w.str(s.Zthje)
	w.raw(`,"zqmye":`)
	w.str(s.Zqmye)
	w.raw(`,"zchsl":`)
	w.str(s.Zchsl)
	w.raw(`,"zthsl":`)
	w.str(s.Zthsl)
	w.raw(`,"zjcsl":`)
	w.str(s.Zjcsl)
	w.raw(`,"trade":[`)
	for i := range s.Trade {
		if i > 0 {
			w.raw(",")
		}
		writeTrade(w, &s.Trade[i])
	}
	w.raw(`],"exts":`)
	writeExts(w, s.Exts)
	w.raw("}")
}

func writeTrade(w *jsonOut, t *statement.Trade) {
	w.raw(`{"statement_no":`)
	w.str(t.StatementNo)
	w.raw(`,"serial_no":`)
	w.str(t.SerialNo)
	w.raw(`,"voucher_no":`)
	w.str(t.VoucherNo)
	w.raw(`,"trade_desc":`)
	w.str(t.TradeDesc)
	w.raw(`,"trade_amount":`)
	w.str(t.TradeAmount)
	w.raw(`,"total_count":`)
	w.str(t.TotalCount)
	w.raw(`,"trade_date":`)
	w.str(t.TradeDate)
	w.raw(`,"customer_code":`)
	w.str(t.CustomerCode)
	w.raw(`,"start_date":`)
	w.str(t.StartDate)
	w.raw(`,"exts":`)
	writeExts(w, t.Exts)
	w.raw(`,"detail":[`)
	for i := range t.Detail {
		d := &t.Detail[i]
		if i > 0 {
			w.raw(",")
		}
		w.raw(`{"statement_no":`)
		w.str(d.StatementNo)
		w.raw(`,"serial_no":`)
		w.str(d.SerialNo)
		w.raw(`,"voucher_no":`)
		w.str(d.VoucherNo)
		w.raw(`,"product_code":`)
		w.str(d.ProductCode)
		w.raw(`,"product_name":`)
		w.str(d.ProductName)
		w.raw(`,"amount":`)
		w.str(d.Amount)
		w.raw(`,"number":`)
		w.str(d.Number)
		w.raw(`,"customer_code":`)
		w.str(d.CustomerCode)
		w.raw(`,"start_date":`)
		w.str(d.StartDate)
		w.raw("}")
	}
	w.raw("]}")
}

func writeExpense(w *jsonOut, e *statement.Expense) {
	w.raw(`{"statement_no":`)
	w.str(e.StatementNo)
	w.raw(`,"customer_code":`)
	w.str(e.CustomerCode)
	w.opt(`,"start_date":`, e.StartDate)
	w.opt(`,"end_date":`, e.EndDate)
	w.opt(`,"trade_month":`, e.TradeMonth)
	w.opt(`,"dept_code":`, e.DeptCode)
	w.opt(`,"dept_name":`, e.DeptName)
	w.opt(`,"dept_source_code":`, e.DeptSourceCode)
	w.raw(`,"trade":[`)
	for i := range e.Trade {
		t := &e.Trade[i]
		if i > 0 {
			w.raw(",")
		}
		w.raw(`{"serial_no":`)
		w.str(t.SerialNo)
		w.raw(`,"voucher_no":`)
		w.str(t.VoucherNo)
		w.raw(`,"trade_date":`)
		w.str(t.TradeDate)
		w.raw(`,"trade_type":`)
		w.str(t.TradeType)
		w.raw(`,"exts":`)
		writeExts(w, t.Exts)
		w.raw("}")
	}
	w.raw(`],"exts":`)
	writeExts(w, e.Exts)
	w.raw("}")
}

func writeErrorLog(w *jsonOut, l *statement.ErrorLog) {
	w.raw(`{"customer_code":`)
	w.str(l.CustomerCode)
	w.raw(`,"start_date":`)
	w.str(l.StartDate)
	w.raw(`,"error_reason":`)
	w.str(l.ErrorReason)
	w.opt(`,"error_status":`, l.ErrorStatus)
	w.raw("}")
}

const hexDigits = "0123456789abcdef"

// needsEscape reports the ASCII bytes encoding/json escapes when HTML
// escaping is off: control characters, '"' and '\\'.
func needsEscape(b byte) bool { return b < 0x20 || b == '"' || b == '\\' }

// quotedLen is len(appendQuoted(nil, s)) without writing.
func quotedLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case !needsEscape(b):
				n++
			case b == '"' || b == '\\' || b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t':
				n += 2
			default:
				n += 6
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			n += 6
		} else {
			n += size
		}
		i += size
	}
	return n
}

// appendQuoted appends s as a JSON string exactly as encoding/json does with
// SetEscapeHTML(false): invalid UTF-8 becomes \ufffd, U+2028/9 are escaped.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if !needsEscape(b) {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
