package upstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// ErrNotMoney is returned (wrapped) for a value that is not an amount.
var ErrNotMoney = errors.New("not a decimal amount")

// Limits on an amount's text: vendors send at most a few dozen digits; a
// garbled answer must not make later formatting allocate without bound.
const (
	maxMoneyLen = 64
	maxMoneyExp = 40
)

// ParseMoney reads an amount the way every vendor sends one: decimal text
// ("20.0000", "-20", "+5", ".5"), optionally with an exponent ("1e3") of at
// most ±40, at most 64 characters, surrounding spaces ignored; "" is zero.
// It never passes through float64.
func ParseMoney(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return decimal.Zero, nil
	}
	if len(s) > maxMoneyLen || !moneyText(s) {
		return decimal.Zero, fmt.Errorf("%w: %q", ErrNotMoney, clip(s))
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, fmt.Errorf("%w: %q", ErrNotMoney, clip(s))
	}
	if e := d.Exponent(); e > maxMoneyExp || e < -maxMoneyExp {
		return decimal.Zero, fmt.Errorf("%w: %q is out of range", ErrNotMoney, clip(s))
	}
	return d, nil
}

// DecodeMoney reads an amount from a JSON value: a string or a number (its
// literal, so no float64), null or absent for zero.
func DecodeMoney(raw json.RawMessage) (decimal.Decimal, error) {
	v := bytes.TrimSpace(raw)
	switch {
	case len(v) == 0 || string(v) == "null":
		return decimal.Zero, nil
	case v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return decimal.Zero, fmt.Errorf("%w: bad JSON string", ErrNotMoney)
		}
		return ParseMoney(s)
	case v[0] == '-' || v[0] >= '0' && v[0] <= '9':
		return ParseMoney(string(v))
	}
	return decimal.Zero, fmt.Errorf("%w: want a string or a number, got %s", ErrNotMoney, clip(string(v)))
}

// moneyText accepts [+-]digits[.digits][(e|E)[+-]digits] with at least one
// digit before the exponent.
func moneyText(s string) bool {
	i, n := 0, len(s)
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	digits := 0
	for ; i < n && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < n && s[i] == '.' {
		for i++; i < n && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < n && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == n
}

// clip keeps vendor text in errors short.
func clip(s string) string {
	const max = 40
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
