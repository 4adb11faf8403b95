package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"unicode/utf8"
)

// MaxBodyBytes is the largest push body accepted (413 beyond).
const MaxBodyBytes = 1 << 20

// maxFieldBytes bounds every field but data: 勤策's are short (msgId is
// VARCHAR(32)), and the task ID is built from msgId and tenantId.
const maxFieldBytes = 128

// Content types of a push.
const (
	contentTypeForm = "application/x-www-form-urlencoded"
	contentTypeJSON = "application/json"
)

// Request is a push as received: every field a raw string exactly as sent
// (form-decoded, or the JSON string's value).
type Request struct {
	MsgID       string `json:"msgId"`
	DataID      string `json:"dataId"`
	DataVersion string `json:"dataVersion"`
	DataFormat  string `json:"dataFormat"`
	DataSource  string `json:"dataSource"`
	Timestamp   string `json:"timestamp"`
	Status      string `json:"status"`
	StatusTime  string `json:"statusTime"`
	TenantID    string `json:"tenantId"`
	Digest      string `json:"digest"`
	DataType    string `json:"dataType"`
	Data        string `json:"data"`
}

// field returns the field named name (as 勤策 spells it), nil if unknown.
func (p *Request) field(name string) *string {
	switch name {
	case "msgId":
		return &p.MsgID
	case "dataId":
		return &p.DataID
	case "dataVersion":
		return &p.DataVersion
	case "dataFormat":
		return &p.DataFormat
	case "dataSource":
		return &p.DataSource
	case "timestamp":
		return &p.Timestamp
	case "status":
		return &p.Status
	case "statusTime":
		return &p.StatusTime
	case "tenantId":
		return &p.TenantID
	case "digest":
		return &p.Digest
	case "dataType":
		return &p.DataType
	case "data":
		return &p.Data
	}
	return nil
}

// fieldNames in the order checks report them.
var fieldNames = []string{"msgId", "dataId", "dataVersion", "dataFormat", "dataSource", "timestamp",
	"status", "statusTime", "tenantId", "digest", "dataType", "data"}

// requiredFields must be present and non-empty; the others are kept when sent.
var requiredFields = []string{"msgId", "tenantId", "timestamp", "digest", "dataType", "data"}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// ParseRequest reads and parses a push body: form-encoded (what 勤策 sends)
// or JSON with the same field names. It checks the content type, the size
// and the encoding; the fields' values are checked by Check.
func ParseRequest(r *http.Request) (Request, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	isForm := strings.EqualFold(mt, contentTypeForm)
	if !isForm && !strings.EqualFold(mt, contentTypeJSON) {
		return Request{}, reqErr(kindBadRequest, nil, "Content-Type %q is not accepted: send %s (as 勤策 does) or %s", clip(ct), contentTypeForm, contentTypeJSON)
	}
	if r.ContentLength > MaxBodyBytes {
		return Request{}, reqErr(kindTooLarge, nil, "body of %d bytes is over the %d bytes (1 MiB) allowed", r.ContentLength, MaxBodyBytes)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 { // do not keep rare huge buffers alive
			buf.Reset()
			bufPool.Put(buf)
		}
	}()
	buf.Reset()
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + 1) // one allocation of the declared size, not doublings
	}
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, MaxBodyBytes+1)); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return Request{}, reqErr(kindBadRequest, err, "the body did not arrive in time (KSF_PUSH_BODY_TIMEOUT)")
		}
		return Request{}, reqErr(kindBadRequest, err, "the body could not be read")
	}
	if buf.Len() > MaxBodyBytes {
		return Request{}, reqErr(kindTooLarge, nil, "body is over the %d bytes (1 MiB) allowed", MaxBodyBytes)
	}
	if isForm {
		return parseForm(buf.String())
	}
	return parseJSON(buf.Bytes())
}

// parseForm decodes application/x-www-form-urlencoded without building a
// url.Values map (the hot path). Unknown fields are ignored; a field given
// twice is refused, since the digest could not say which one was meant.
func parseForm(body string) (Request, error) {
	var p Request
	var seen uint16
	for body != "" {
		var kv string
		kv, body, _ = strings.Cut(body, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err := unescape(k)
		if err != nil {
			return Request{}, reqErr(kindBadRequest, err, "the body is not valid form encoding: %v", err)
		}
		dst := p.field(k)
		if dst == nil {
			continue
		}
		bit := uint16(1) << fieldIndex(k)
		if seen&bit != 0 {
			return Request{}, reqErr(kindBadRequest, nil, "field %s is given twice", k)
		}
		seen |= bit
		if *dst, err = unescape(v); err != nil {
			return Request{}, reqErr(kindBadRequest, err, "field %s is not valid form encoding: %v", k, err)
		}
	}
	return p, nil
}

func fieldIndex(name string) int {
	for i, n := range fieldNames {
		if n == name {
			return i
		}
	}
	return len(fieldNames)
}

// unescape is url.QueryUnescape without its allocation when nothing is escaped.
func unescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	return url.QueryUnescape(s)
}

// parseJSON decodes a JSON push. Fields are strings; numbers are accepted as
// their text (a gateway may turn timestamp into a number). data must be a
// string: the digest covers its exact text, which an object does not have.
// A field given twice (JSON keys match case-insensitively) is refused, as
// in a form.
func parseJSON(body []byte) (Request, error) {
	var raw struct {
		MsgID       json.RawMessage `json:"msgId"`
		DataID      json.RawMessage `json:"dataId"`
		DataVersion json.RawMessage `json:"dataVersion"`
		DataFormat  json.RawMessage `json:"dataFormat"`
		DataSource  json.RawMessage `json:"dataSource"`
		Timestamp   json.RawMessage `json:"timestamp"`
		Status      json.RawMessage `json:"status"`
		StatusTime  json.RawMessage `json:"statusTime"`
		TenantID    json.RawMessage `json:"tenantId"`
		Digest      json.RawMessage `json:"digest"`
		DataType    json.RawMessage `json:"dataType"`
		Data        json.RawMessage `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return Request{}, reqErr(kindBadRequest, err, "the body is not a JSON object: %s", jsonReason(err))
	}
	if dec.More() {
		return Request{}, reqErr(kindBadRequest, nil, "the body has text after its JSON object")
	}
	if k := duplicateKey(body); k != "" {
		return Request{}, reqErr(kindBadRequest, nil, "field %s is given twice", k)
	}
	var p Request
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{
		{"msgId", raw.MsgID, &p.MsgID}, {"dataId", raw.DataID, &p.DataID}, {"dataVersion", raw.DataVersion, &p.DataVersion},
		{"dataFormat", raw.DataFormat, &p.DataFormat}, {"dataSource", raw.DataSource, &p.DataSource},
		{"timestamp", raw.Timestamp, &p.Timestamp}, {"status", raw.Status, &p.Status}, {"statusTime", raw.StatusTime, &p.StatusTime},
		{"tenantId", raw.TenantID, &p.TenantID}, {"digest", raw.Digest, &p.Digest}, {"dataType", raw.DataType, &p.DataType},
		{"data", raw.Data, &p.Data},
	} {
		v, err := jsonField(f.raw, f.name == "data")
		if err != nil {
			return Request{}, reqErr(kindBadRequest, nil, "field %s %v", f.name, err)
		}
		*f.dst = v
	}
	return p, nil
}

// duplicateKey returns a push field the (valid) JSON object body names
// twice, "" if none. encoding/json would silently keep the last one.
func duplicateKey(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	var seen uint16
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		k, _ := t.(string)
		for i, name := range fieldNames {
			if strings.EqualFold(k, name) {
				if seen&(1<<i) != 0 {
					return name
				}
				seen |= 1 << i
			}
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}

func jsonField(raw json.RawMessage, isData bool) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", errors.New("is not a valid JSON string")
		}
		return s, nil
	case isData && c == '{':
		return "", errors.New(`is a JSON object: send data as a JSON string holding the exact text the digest was computed over, e.g. "data":"{\"customer_code\":\"C001\",…}"`)
	case isData:
		return "", errors.New("must be a JSON string holding the data the digest was computed over")
	case c == '-' || (c >= '0' && c <= '9'):
		return string(raw), nil
	}
	return "", errors.New("must be a string")
}

// jsonReason keeps the decoder's reason short and free of Go type names.
func jsonReason(err error) string {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	case errors.Is(err, io.EOF):
		return "the body is empty"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the body ends early"
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "expected an object of fields, got " + te.Value
	}
	return err.Error()
}

// Check validates the fields: the required ones present, all of sane length
// and characters, the timestamp epoch milliseconds. It does not verify the
// digest nor parse data (the handler does, in that order).
func (p *Request) Check() error {
	for _, name := range requiredFields {
		if *p.field(name) == "" {
			return reqErr(kindBadRequest, nil, "field %s is missing or empty", name)
		}
	}
	for _, name := range fieldNames {
		v := *p.field(name)
		if name == "data" {
			if !utf8.ValidString(v) {
				return reqErr(kindBadRequest, nil, "field data is not UTF-8")
			}
			continue
		}
		if len(v) > maxFieldBytes {
			return reqErr(kindBadRequest, nil, "field %s is longer than %d bytes", name, maxFieldBytes)
		}
		for _, r := range v {
			if r < ' ' || r == 0x7f || r == utf8.RuneError {
				return reqErr(kindBadRequest, nil, "field %s holds control characters or is not UTF-8", name)
			}
		}
	}
	if strings.IndexByte(p.TenantID, ':') >= 0 || strings.IndexByte(p.TenantID, ' ') >= 0 {
		return reqErr(kindBadRequest, nil, "field tenantId %q may not contain ':' or spaces", p.TenantID)
	}
	if len(p.Timestamp) > 16 {
		return reqErr(kindBadRequest, nil, "field timestamp %q is not epoch milliseconds", p.Timestamp)
	}
	for i := 0; i < len(p.Timestamp); i++ {
		if c := p.Timestamp[i]; c < '0' || c > '9' {
			return reqErr(kindBadRequest, nil, "field timestamp %q is not epoch milliseconds", p.Timestamp)
		}
	}
	return nil
}

// clip shortens what a client sent before it goes into an answer.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	for i := 64; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}
