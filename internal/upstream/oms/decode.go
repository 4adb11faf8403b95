package oms

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

// envelope is an answer with the vendor's wrapping taken off.
type envelope struct {
	payload []byte // the success object (count/lists, a bill, accounts)
	failed  bool
	code    string // vendor code as text: "1003", "e000002"
	msg     string
}

// parseEnvelope reads every answer shape seen for this vendor:
//
//	{"response":{…}}                          success (the vendor's source)
//	{…}                                       success, bare (the pages' examples)
//	{"code":0,"data":{…}} / {"rsp":"succ",…}  success with a status field
//	{"error_response":{"code":"e000002","msg":…}}    failure (source)
//	{"code":1003,"msg":"签名错误"}                    failure (pages' codes)
//	{"rsp":"fail","code"|"res":…,"msg"|"err_msg":…}  failure (ShopEx matrix style)
//
// A payload that is itself a JSON string is decoded once more.
func parseEnvelope(body []byte) (envelope, error) {
	body = bytes.TrimSpace(body)
	var top map[string]json.RawMessage
	if len(body) == 0 || body[0] != '{' {
		return envelope{}, errors.New("answer is not a JSON object")
	}
	if err := json.Unmarshal(body, &top); err != nil {
		return envelope{}, fmt.Errorf("answer is not JSON: %w", err)
	}
	if er, ok := top["error_response"]; ok && !isNull(er) {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(er, &fields); err != nil {
			return envelope{failed: true, msg: scalar(er)}, nil
		}
		return failure(fields, "code", "sub_code"), nil
	}
	if rsp, ok := top["rsp"]; ok {
		switch strings.ToLower(scalar(rsp)) {
		case "succ", "success", "ok", "true":
			return success(top)
		}
		return failure(top, "code", "res", "err_code", "error_code"), nil
	}
	if code, ok := top["code"]; ok {
		if c := scalar(code); c != "0" && c != "" {
			return failure(top, "code"), nil
		}
		return success(top)
	}
	if r, ok := top["response"]; ok {
		return unwrapString(r)
	}
	return envelope{payload: body}, nil
}

// success picks the payload of an answer that carries a success status.
func success(top map[string]json.RawMessage) (envelope, error) {
	for _, k := range []string{"data", "response"} {
		if v, ok := top[k]; ok {
			return unwrapString(v)
		}
	}
	delete(top, "rsp")
	delete(top, "code")
	delete(top, "msg")
	b, err := json.Marshal(top)
	return envelope{payload: b}, err
}

func failure(fields map[string]json.RawMessage, codeKeys ...string) envelope {
	e := envelope{failed: true}
	for _, k := range codeKeys {
		if v, ok := fields[k]; ok && scalar(v) != "" {
			e.code = scalar(v)
			break
		}
	}
	var msgs []string
	for _, k := range []string{"msg", "message", "err_msg", "error_msg", "sub_msg", "data"} {
		if v, ok := fields[k]; ok {
			if s := scalar(v); s != "" && !strings.HasPrefix(s, "{") && !strings.HasPrefix(s, "[") {
				msgs = append(msgs, s)
			}
		}
	}
	e.msg = strings.Join(msgs, "; ")
	return e
}

func unwrapString(v json.RawMessage) (envelope, error) {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return envelope{}, err
		}
		v = bytes.TrimSpace([]byte(s))
		if len(v) == 0 {
			v = []byte("{}") // PHP's "nothing"
		}
		if v[0] != '{' && v[0] != '[' {
			return envelope{}, errors.New("payload string is not JSON")
		}
	}
	return envelope{payload: v}, nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// scalar is the text of a JSON string, number or boolean ("" for null).
// Anything else comes back as its raw JSON.
func scalar(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || isNull(v) {
		return ""
	}
	if v[0] == '"' {
		// Fast path: no escapes to undo (the decoder already checked syntax).
		if len(v) >= 2 && v[len(v)-1] == '"' && bytes.IndexByte(v, '\\') < 0 {
			return strings.TrimSpace(string(v[1 : len(v)-1]))
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			return strings.TrimSpace(s)
		}
	}
	return string(v)
}

// Classes of a vendor code.
type class int

const (
	classTransient class = iota
	classPermanent
	classResign // expired or repeated timestamp: sign afresh and send once more
)

// codeClasses is the classification docs/oms.md tabulates. Numeric codes are
// the pages'; e-codes the vendor source's (only these three are known).
var codeClasses = map[string]class{
	"1":       classPermanent, // 参数错误
	"400":     classPermanent, // 参数错误
	"401":     classPermanent, // 未授权访问 (flag/sign)
	"403":     classPermanent, // 禁止访问
	"500":     classTransient, // 服务器内部错误
	"1001":    classPermanent, // 非法的flag
	"1002":    classResign,    // 请求已过期
	"1003":    classPermanent, // 签名错误
	"1004":    classPermanent, // 不支持的type格式
	"2001":    classPermanent, // 缺少必要的参数
	"2002":    classPermanent, // 非法的请求参数
	"2003":    classPermanent, // 接口不存在
	"e000002": classPermanent, // sign
	"e000008": classResign,    // timestamp outside ±3600 s
	"e000009": classResign,    // repeated request
}

// Message keywords classify codes the table does not know. Without a match
// an unknown code is transient: a wrong "transient" costs a few retries and
// still ends in save*Error, a wrong "permanent" reports a passing glitch.
var (
	resignWords    = []string{"过期", "expire", "重复", "repeat", "timestamp", "时间戳"}
	permanentWords = []string{"flag", "sign", "签名", "参数", "param", "method", "接口不存在", "不支持", "权限", "授权", "禁止", "permission", "forbidden", "unauthori"}
)

func classify(code, msg string) class {
	if c, ok := codeClasses[strings.ToLower(code)]; ok {
		return c
	}
	m := strings.ToLower(msg)
	for _, w := range resignWords {
		if strings.Contains(m, w) {
			return classResign
		}
	}
	for _, w := range permanentWords {
		if strings.Contains(m, w) {
			return classPermanent
		}
	}
	return classTransient
}

// interpret turns one HTTP answer into a payload or an *upstream.Error.
// resign reports an expired/repeated timestamp worth one fresh attempt.
func interpret(method string, status int, body []byte) (payload []byte, resign bool, err error) {
	env, perr := parseEnvelope(body)
	if status < 200 || status > 299 {
		if perr == nil && env.failed {
			return nil, false, vendorError(method, status, env)
		}
		return nil, false, &upstream.Error{Vendor: Vendor, Op: method, Status: status,
			Message: http.StatusText(status), Permanent: upstream.PermanentStatus(status)}
	}
	if perr != nil {
		return nil, false, malformed(method, perr)
	}
	if env.failed {
		err := vendorError(method, status, env)
		return nil, classify(env.code, env.msg) == classResign, err
	}
	return env.payload, false, nil
}

func vendorError(method string, status int, env envelope) *upstream.Error {
	msg := env.msg
	if msg == "" {
		msg = "refused"
	}
	if len(msg) > 200 {
		msg = msg[:200]
	}
	if status >= 200 && status <= 299 {
		status = 0
	}
	return &upstream.Error{Vendor: Vendor, Op: method, Code: env.code, Message: msg, Status: status,
		Permanent: classify(env.code, env.msg) == classPermanent}
}

// malformed is an answer this client cannot read: permanent, as the project
// treats any malformed 200 answer (retrying gets the same bytes).
func malformed(method string, err error) *upstream.Error {
	return &upstream.Error{Vendor: Vendor, Op: method, Message: "malformed answer: " + err.Error(), Permanent: true, Err: err}
}

// text accepts a JSON string, number, boolean or null as a string: the
// vendor is loose about which it sends for codes and ids.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		return errors.New("want a string, got " + string(b[:1]))
	}
	*t = text(scalar(b))
	return nil
}

// number keeps the exact text of a JSON number or numeric string, so money
// never passes through float64.
type number string

func (n *number) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return errors.New("empty number")
	case isNull(b):
		*n = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = number(strings.TrimSpace(s))
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*n = number(b)
	default:
		return fmt.Errorf("want a number, got %.20s", b)
	}
	return nil
}

// decimal parses n with the money rule all vendors share; empty is zero.
func (n number) decimal(field string) (decimal.Decimal, error) {
	d, err := upstream.ParseMoney(string(n))
	if err != nil {
		return decimal.Zero, fmt.Errorf("%s: %w", field, err)
	}
	return d, nil
}

// count parses a row count; -1 when the answer has none.
func (n number) count() (int, error) {
	if n == "" {
		return -1, nil
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || v < 0 || v > 1<<31 {
		return 0, fmt.Errorf("count: %q is not a row count", string(n))
	}
	return int(v), nil
}

// Time layouts the vendor uses; the pages specify the first.
var timeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02", "2006-01-02T15:04:05Z07:00", "2006/01/02 15:04:05"}

// parseTime reads a vendor time as Shanghai wall clock; "" is the zero time.
func parseTime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0000-00-00 00:00:00" || s == "0000-00-00" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, tz.Shanghai); err == nil {
			return t.In(tz.Shanghai), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s: %q is not a time", field, s)
}

// emptyObject reads PHP's empty answers ([] or null for "nothing") as {}.
func emptyObject(payload []byte) []byte {
	switch string(bytes.TrimSpace(payload)) {
	case "", "null", "[]":
		return []byte("{}")
	}
	return payload
}

// phpList is a JSON array that PHP may also send as an object: {} when
// empty, {"0":…,"1":…} when its keys are not sequential.
type phpList[T any] []T

func (l *phpList[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case isNull(b):
		*l = nil
		return nil
	case len(b) > 0 && b[0] == '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		// Numeric keys in numeric order, then the others as strings.
		slices.SortFunc(keys, func(a, b string) int {
			ai, aerr := strconv.Atoi(a)
			bi, berr := strconv.Atoi(b)
			switch {
			case aerr == nil && berr == nil:
				return cmp.Compare(ai, bi)
			case aerr == nil:
				return -1
			case berr == nil:
				return 1
			}
			return strings.Compare(a, b)
		})
		out := make([]T, 0, len(keys))
		for _, k := range keys {
			var v T
			if err := json.Unmarshal(m[k], &v); err != nil {
				return err
			}
			out = append(out, v)
		}
		*l = out
		return nil
	}
	var s []T
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*l = s
	return nil
}
