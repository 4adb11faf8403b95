package reconcile

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Field sizes from the 勤策 spec (VARCHAR(n), counted in characters).
const (
	MaxField        = 32  // numbers, row fields, ext keys and values
	MaxCustomerCode = 100 // customer_code on the statement itself
)

// Bounds on source numbers. Beyond them a value is refused before any
// arithmetic: a hostile exponent (1e-999999999) would otherwise make the
// decimal library allocate without end.
const (
	maxExponent = 30
	minExponent = -20
)

// maxIntDigits keeps a signed amount with two decimals within MaxField
// characters: sign + 28 integer digits + "." + 2 decimals = 32.
const maxIntDigits = 28

// ellipsis marks shortened human text.
const ellipsis = "…"

// cut shortens s to at most n characters, the last one being "…" when cut.
func cut(s string, n int) string {
	if len(s) <= n { // bytes >= runes: nothing to count
		return s
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, k := 0, 0
	for i = range s {
		if k == n-1 {
			break
		}
		k++
	}
	return s[:i] + ellipsis
}

// text prepares human text for a VARCHAR(MaxField) column: invalid UTF-8
// becomes U+FFFD (JSON would do the same), surrounding space goes, and a
// longer text is cut with "…".
func text(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return cut(strings.TrimSpace(s), MaxField)
}

// ident checks an identifier for a column of limit characters: it is written
// as is or not at all, since a cut identifier would point at another record.
func ident(field, s string, limit int) error {
	if !utf8.ValidString(s) {
		q := quote(strings.ToValidUTF8(s, "\uFFFD"))
		return newError(ErrUnrepresentable, field, field+" "+q+" is not valid UTF-8", zhField(field)+q+"含有无效字符,请在来源系统中修改")
	}
	if len(s) > limit && utf8.RuneCountInString(s) > limit {
		return tooLong(field, s, limit)
	}
	return nil
}

// shortHashLen is the hex digits of the hash in a shortened identifier.
const shortHashLen = 12

// ShortenID fits an identifier into limit characters without losing its
// uniqueness: one that fits is returned as is; a longer one becomes its
// first limit−13 characters, "~" and the first 12 hex digits of the SHA-256
// of the whole value, e.g. a 40-digit order number 1234567890123456789…
// → "1234567890123456789~3f9a0c51b2d4" (32 characters). The prefix keeps
// it recognisable, the hash keeps two long values that share the prefix
// apart. Invalid UTF-8 becomes U+FFFD first. limit must exceed 13.
func ShortenID(s string, limit int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= limit || utf8.RuneCountInString(s) <= limit {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	var hx [shortHashLen]byte
	hex.Encode(hx[:], sum[:shortHashLen/2])
	keep, n := 0, 0
	for i := range s {
		if n == limit-shortHashLen-1 {
			keep = i
			break
		}
		n++
	}
	return s[:keep] + "~" + string(hx[:])
}

// requiredIdent is ident for a value that must not be empty.
func requiredIdent(field, s string, limit int) error {
	if s == "" {
		return newError(ErrInvalidInput, field, field+" is empty", zhField(field)+"为空,请在来源系统中补全")
	}
	return ident(field, s, limit)
}

// number checks that a source number is within the bounds the builder can
// add and write. record and id name it in the error reason ("bill", "B1",
// "amount"); the reason is only built on failure.
func number(record, id, name string, d decimal.Decimal) error {
	kind, what, zh := error(nil), "", ""
	if e := d.Exponent(); e > maxExponent || e < minExponent {
		kind, what, zh = ErrInvalidInput, " is out of range", "超出范围"
	} else if !d.IsZero() && d.NumDigits()+int(e) > maxIntDigits {
		// n digits times 10^e is below 10^(n+e) and at least 10^(n+e-1).
		kind, what, zh = ErrUnrepresentable, " is too large for 勤策", "超出勤策能保存的位数"
	} else {
		return nil
	}
	v := "(exponent " + strconv.Itoa(int(d.Exponent())) + ")"
	if kind == ErrUnrepresentable {
		v = quote(d.String())
	}
	return newError(kind, record+"."+name, record+" "+quote(id)+" "+name+" "+v+what,
		zhField(record)+quote(id)+"的"+zhField(name)+zh+",请在来源系统中核对")
}

// money writes an amount with exactly two decimals, rounded half away from
// zero like Decimal.StringFixed(2).
func money(field string, d decimal.Decimal) (string, error) {
	var buf [48]byte
	b, ok := fixed2(buf[:0], d)
	s := ""
	if ok {
		s = string(b)
	} else {
		s = d.StringFixed(2)
	}
	if len(s) > MaxField {
		return "", tooLong(field, s, MaxField)
	}
	return s, nil
}

// pow10 holds 10^0..10^18, the powers an int64 can hold.
var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// fixed2 is the allocation-free path of money for coefficients of at most
// 18 digits, which is every real amount; ok is false for the rest.
func fixed2(b []byte, d decimal.Decimal) ([]byte, bool) {
	n, e := d.NumDigits(), int(d.Exponent())
	if n > 18 || n+e+2 > 18 || e < -20 {
		return b, false
	}
	v := d.CoefficientInt64()
	neg := v < 0
	if neg {
		v = -v
	}
	var cents int64
	switch {
	case e >= -2:
		cents = v * pow10[e+2]
	case -2-e > 18:
		cents = 0 // below a cent by many digits: rounds to zero
	default:
		p := pow10[-2-e]
		cents = v / p
		if 2*(v%p) >= p {
			cents++
		}
	}
	if neg && cents != 0 {
		b = append(b, '-')
	}
	b = strconv.AppendInt(b, cents/100, 10)
	return append(b, '.', byte('0'+cents%100/10), byte('0'+cents%10)), true
}

// quantity writes the shortest exact form: 10, 2.5, -3.25. It does not use
// Decimal.String, whose form depends on the library's global switches.
func quantity(field string, d decimal.Decimal) (string, error) {
	var s string
	var buf [48]byte
	if n, e := d.NumDigits(), int(d.Exponent()); n <= 18 && n+max(e, 0) <= 18 {
		s = string(exact(buf[:0], d.CoefficientInt64(), e))
	} else {
		places := -d.Exponent()
		if places < 0 {
			places = 0
		}
		s = d.StringFixed(places)
		if strings.IndexByte(s, '.') >= 0 {
			s = strings.TrimRight(s, "0")
			s = strings.TrimSuffix(s, ".")
		}
	}
	if len(s) > MaxField {
		return "", tooLong(field, s, MaxField)
	}
	return s, nil
}

// exact formats v×10^e without trailing zeros after the point.
func exact(b []byte, v int64, e int) []byte {
	if e >= 0 {
		return strconv.AppendInt(b, v*pow10[e], 10)
	}
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var digits [20]byte
	ds := strconv.AppendInt(digits[:0], v, 10)
	places := -e
	if len(ds) <= places {
		b = append(b, '0')
	} else {
		b = append(b, ds[:len(ds)-places]...)
	}
	frac := make([]byte, 0, 24)
	for i := len(ds); i < places; i++ {
		frac = append(frac, '0')
	}
	if len(ds) > places {
		frac = append(frac, ds[len(ds)-places:]...)
	} else {
		frac = append(frac, ds...)
	}
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if len(frac) > 0 {
		b = append(b, '.')
		b = append(b, frac...)
	}
	return b
}
