package jdy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ksfsync/ksfsync/internal/upstream"
)

// Vendor is the name this client reports in errors and to the Observer.
const Vendor = "jdy"

// Operations reported in errors and to the Observer.
const (
	OpToken            = "kingdee_auth_token"
	OpCustomerBusiness = "customer_business"
)

// Errcodes. Only 0 and 2000002000 are on the vendor's page; the page points
// to a "公告返回码" list for the rest that we could not retrieve. The other
// codes are ksfsync's own choice: the fake answers with them, and the real
// client's sets are configurable (Config.TokenErrcodes,
// Config.TransientErrcodes; KSF_JDY_TOKEN_ERRCODES, KSF_JDY_TRANSIENT_ERRCODES).
// Any other non-zero code is permanent, unless its description says the
// service is busy or rate-limited (繁忙, 频繁, 限流, 稍后, busy, …).
const (
	ErrcodeOK               int64 = 0
	ErrcodeSystem           int64 = 2000002000 // 系统错误 (vendor page): transient
	ErrcodeCustomerNotFound int64 = 2000002001 // 客户不存在 (assumed): permanent
	ErrcodeBadRequest       int64 = 1000001001 // 缺少或非法的请求头/参数 (assumed): permanent
	ErrcodeBadSignature     int64 = 1000001002 // X-Api-Signature 校验失败 (assumed): permanent
	ErrcodeTimestamp        int64 = 1000001003 // X-Api-TimeStamp 超过 5 分钟 (assumed): transient, re-signed on retry
	ErrcodeUnknownClient    int64 = 1000001004 // X-Api-ClientID 不存在 (assumed): permanent
	ErrcodeBadAppSignature  int64 = 1000001005 // app_key / app_signature 错误 (assumed): permanent
	ErrcodeTokenInvalid     int64 = 1000001006 // app-token 无效 (assumed): refresh once, then permanent
	ErrcodeTokenExpired     int64 = 1000001007 // app-token 已过期 (assumed): refresh once, then permanent
)

// DefaultTokenErrcodes are the errcodes that mean "the app-token is invalid
// or expired": the client refreshes the token once and retries once.
func DefaultTokenErrcodes() []int64 { return []int64{ErrcodeTokenInvalid, ErrcodeTokenExpired} }

// DefaultTransientErrcodes are the errcodes worth retrying later.
func DefaultTransientErrcodes() []int64 { return []int64{ErrcodeSystem, ErrcodeTimestamp} }

// maxBody bounds what is read from an answer; customer_business is a few
// hundred bytes.
const maxBody = 1 << 20

// envelope is every v2 answer: {"errcode":0,"description":"success","data":…}.
type envelope struct {
	Errcode     json.RawMessage `json:"errcode"`
	Description json.RawMessage `json:"description"`
	Data        json.RawMessage `json:"data"`
}

// decodeEnvelope accepts errcode as a number or a numeric string.
func decodeEnvelope(body []byte) (code int64, desc string, data json.RawMessage, err error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return 0, "", nil, fmt.Errorf("malformed answer: %v", err)
	}
	s, err := scalar(env.Errcode)
	if err != nil || s == "" {
		return 0, "", nil, fmt.Errorf("malformed answer: no errcode")
	}
	code, err = strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, "", nil, fmt.Errorf("malformed answer: errcode %q", clip(s))
	}
	desc, _ = scalar(env.Description)
	data = bytes.TrimSpace(env.Data)
	if string(data) == "null" {
		data = nil
	}
	return code, clip(desc), data, nil
}

// outcome of one HTTP exchange.
type result struct {
	data      json.RawMessage
	tokenFail bool // the app-token was refused: refresh once and retry
}

// classify turns an HTTP answer into data or a classified *upstream.Error.
func (c *Client) classify(op string, status int, body []byte) (result, error) {
	if status < 200 || status > 299 {
		e := &upstream.Error{Vendor: Vendor, Op: op, Status: status, Message: http.StatusText(status)}
		if code, desc, _, err := decodeEnvelope(body); err == nil {
			e.Code, e.Message = strconv.FormatInt(code, 10), desc
		}
		switch {
		case status == http.StatusUnauthorized:
			e.Permanent = true
			return result{tokenFail: op != OpToken}, e
		case upstream.PermanentStatus(status):
			e.Permanent = true
		}
		return result{}, e
	}
	code, desc, data, err := decodeEnvelope(body)
	if err != nil {
		return result{}, &upstream.Error{Vendor: Vendor, Op: op, Message: err.Error(), Permanent: true}
	}
	if code == ErrcodeOK {
		return result{data: data}, nil
	}
	e := &upstream.Error{Vendor: Vendor, Op: op, Code: strconv.FormatInt(code, 10), Message: desc, Permanent: true}
	if e.Message == "" {
		e.Message = "errcode without description"
	}
	switch {
	case c.transientCodes[code]:
		e.Permanent = false
	case c.tokenCodes[code] && op != OpToken:
		return result{tokenFail: true}, e
	case upstream.SaysBusy(desc, busyWords...):
		// 精斗云 lists few codes; a refusal that says the service is busy
		// or rate-limited is worth retrying whatever its code.
		e.Permanent = false
	}
	return result{}, e
}

// busyWords are 精斗云's own words for a rate limit, beside upstream's.
var busyWords = []string{"超过限制", "调用次数"}
