package wdt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ksfsync/ksfsync/internal/upstream"
)

// page is one decoded answer.
type page struct {
	bills []Bill
	next  string // "" when there is no further page
}

// decodePage reads one answer of the gateway. Every failure is an
// *upstream.Error: the vendor's refusal classified, or a malformed answer
// (permanent). Shapes accepted:
//   - {"error_response":{"code","msg","sub_code","sub_msg"}}: gateway error
//   - {"response":{…}}: the body below wrapped once (some 奇门 routes do)
//   - {"flag":"failure","code","message"}: a 奇门 target's refusal
//   - {"resultCode":"200","data":[…]|{"records":[…]}|null,"nextRequestId":…}
func decodePage(body []byte) (page, error) {
	body = bytes.TrimPrefix(bytes.TrimSpace(body), []byte("\xef\xbb\xbf"))
	if len(body) == 0 {
		return page{}, malformed("empty answer")
	}
	top, err := object(body)
	if err != nil {
		return page{}, malformed("answer is not a JSON object")
	}
	for range 2 { // the error may sit inside "response"
		if raw, ok := top["error_response"]; ok && !isNull(raw) {
			return page{}, gatewayError(raw)
		}
		inner, ok := top["response"]
		if !ok || isNull(inner) || has(top, "resultCode") {
			break
		}
		if top, err = object(inner); err != nil {
			return page{}, malformed("response is not a JSON object")
		}
	}
	if !has(top, "resultCode") {
		if flag := text(top, "flag"); strings.EqualFold(flag, "failure") {
			return page{}, businessError(text(top, "code"), "", text(top, "message"), text(top, "sub_message"), "")
		}
		return page{}, malformed("answer has no resultCode")
	}
	if rc := text(top, "resultCode"); rc != "200" {
		return page{}, businessError(rc, text(top, "sub_resultCode"), text(top, "message"), text(top, "sub_detail"), text(top, "solution"))
	}
	records, next, err := records(top["data"])
	if err != nil {
		return page{}, err
	}
	// A top-level cursor wins, but an empty one does not hide the one
	// inside data (the field table lists nextRequestId in both places).
	if t := text(top, "nextRequestId"); has(top, "nextRequestId") && (t != "" || next == "") {
		next = t
	}
	p := page{next: endOfPaging(next)}
	if len(records) > 0 {
		p.bills = make([]Bill, len(records))
	}
	for i, r := range records {
		if err := p.bills[i].UnmarshalJSON(r); err != nil {
			return page{}, malformed(fmt.Sprintf("record %d: %v", i, err))
		}
	}
	return p, nil
}

// records accepts data as the array itself (the response demo), as
// {"records":[…]} (the field table; it may carry nextRequestId too), as
// null or absent (no records), or as a JSON string holding either.
func records(data json.RawMessage) ([]json.RawMessage, string, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, "", malformed("data is not valid JSON")
		}
		data = bytes.TrimSpace([]byte(s))
	}
	if len(data) == 0 || isNull(data) {
		return nil, "", nil
	}
	var arr []json.RawMessage
	switch data[0] {
	case '[':
		if err := json.Unmarshal(data, &arr); err != nil {
			return nil, "", malformed("data is not a JSON array")
		}
		return arr, "", nil
	case '{':
		obj, err := object(data)
		if err != nil {
			return nil, "", malformed("data is not a JSON object")
		}
		next := text(obj, "nextRequestId")
		r := bytes.TrimSpace(obj["records"])
		if len(r) == 0 || isNull(r) {
			return nil, next, nil
		}
		if err := json.Unmarshal(r, &arr); err != nil {
			return nil, "", malformed("data.records is not a JSON array")
		}
		return arr, next, nil
	}
	return nil, "", malformed("data is neither an array nor an object")
}

// endOfPaging maps the last page's markers ("", "false", null, false) to "".
func endOfPaging(next string) string {
	next = strings.TrimSpace(next)
	if strings.EqualFold(next, "false") || next == "null" {
		return ""
	}
	return next
}

func object(b []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("null")
	}
	return m, nil
}

func has(m map[string]json.RawMessage, k string) bool {
	v, ok := m[k]
	return ok && !isNull(v)
}

func isNull(b json.RawMessage) bool { return string(bytes.TrimSpace(b)) == "null" }

// text reads a field leniently: strings and numbers alike, "" when absent
// or unreadable.
func text(m map[string]json.RawMessage, k string) string {
	s, _ := textOf(m[k])
	return strings.TrimSpace(s)
}

func malformed(msg string) *upstream.Error {
	return &upstream.Error{Vendor: Vendor, Op: Method, Message: "malformed answer: " + msg, Permanent: true}
}

// gatewayError classifies a 奇门/TOP error_response. The codes are the
// public TOP platform codes (see docs/wdt.md):
//
//	transient: 4-8 call limits, 10 service unavailable, 31 invalid (expired)
//	  timestamp (a retry is signed afresh), 15 remote service error unless its
//	  sub_code is an isv.* (caller) error; any isp.* sub_code; *-limited /
//	  access-count / timestamp / replay sub_codes; busy or timeout wording.
//	permanent: everything else (9 method, 11-13 permissions, 21-34 method,
//	  format, signature, session, app key, version, 40-47 missing or invalid
//	  arguments, isv.* sub_codes, unknown codes).
func gatewayError(raw json.RawMessage) *upstream.Error {
	g, err := object(raw)
	if err != nil {
		return malformed("error_response is not a JSON object")
	}
	code, sub := text(g, "code"), text(g, "sub_code")
	msg := joinMsg(text(g, "msg"), text(g, "sub_msg"))
	if msg == "" {
		msg = joinMsg(text(g, "message"), text(g, "sub_message"))
	}
	if msg == "" {
		msg = "gateway error"
	}
	c := code
	if sub != "" {
		c += "/" + sub
	}
	return &upstream.Error{Vendor: Vendor, Op: Method, Code: c, Message: clipMsg(msg),
		Permanent: !gatewayTransient(code, sub, msg)}
}

func gatewayTransient(code, sub, msg string) bool {
	lsub := strings.ToLower(sub)
	switch {
	case busy(msg), busy(sub):
		return true
	case strings.HasPrefix(lsub, "isp."):
		return true
	case strings.Contains(lsub, "limited"), strings.Contains(lsub, "access-count"),
		strings.Contains(lsub, "timestamp"), strings.Contains(lsub, "replay"):
		return true
	}
	switch code {
	case "4", "5", "6", "7", "8", "10", "31":
		return true
	case "15":
		return !strings.HasPrefix(lsub, "isv.")
	}
	return false
}

// businessError classifies a 慧经营 answer whose resultCode is not 200:
// 429, any 5xx ("500" 系统异常) or busy wording (繁忙, busy, 限流, 频繁,
// 稍后, 超时, timeout) anywhere in it is transient; any other refusal is
// permanent.
func businessError(code, sub, msg, detail, solution string) *upstream.Error {
	c := code
	if sub != "" {
		c += "/" + sub
	}
	m := joinMsg(msg, detail)
	if m == "" {
		m = "request refused"
	}
	transient := busy(msg) || busy(sub) || busy(detail) || busy(solution)
	if code == "429" || len(code) == 3 && code[0] == '5' && isDigits(code) {
		transient = true
	}
	return &upstream.Error{Vendor: Vendor, Op: Method, Code: c, Message: clipMsg(m), Permanent: !transient}
}

// busy: a refusal that says "try again later" (upstream.SaysBusy).
func busy(s string) bool { return upstream.SaysBusy(s) }

func joinMsg(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "" || b == a:
		return a
	}
	return a + ": " + b
}

// clipMsg bounds a vendor message carried in an error (the worker cuts
// reasons to 100 characters anyway).
func clipMsg(s string) string {
	const max = 200
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
