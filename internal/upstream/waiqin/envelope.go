package waiqin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ksfsync/ksfsync/internal/upstream"
)

// Return codes 勤策 documents.
const (
	CodeOK         = "0"      // success
	CodeFailure    = "1"      // "失败": the generic refusal (e.g. "对账月份不能为空!")
	CodeValidation = "100608" // a field failed validation (e.g. "对账单号为空")
)

// envelope is 勤策's answer: {"msg_id","return_code","return_msg","response_data"}.
type envelope struct {
	MsgID string
	Code  string // return_code as text, whether it came as a number or a string
	Msg   string
	// Data is the JSON text of response_data: decoded a second time when it
	// came as a JSON string, as is when it came as an object or array, nil
	// when absent, null or "".
	Data []byte
	// Text is response_data when it came as a JSON string that holds plain
	// text rather than JSON ("保存成功"): a save's answer may say so. Data is
	// then nil; a list query treats it as malformed.
	Text string
}

var errMalformed = errors.New("malformed answer")

// decodeEnvelope decodes an answer, accepting both shapes 勤策 uses for
// return_code (number or string) and response_data (string or JSON value).
func decodeEnvelope(b []byte) (envelope, error) {
	var raw struct {
		MsgID        flexString      `json:"msg_id"`
		ReturnCode   json.RawMessage `json:"return_code"`
		ReturnMsg    flexString      `json:"return_msg"`
		ResponseData json.RawMessage `json:"response_data"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return envelope{}, fmt.Errorf("%w: %v", errMalformed, jsonReason(err))
	}
	code, err := returnCode(raw.ReturnCode)
	if err != nil {
		return envelope{}, err
	}
	e := envelope{MsgID: string(raw.MsgID), Code: code, Msg: string(raw.ReturnMsg)}
	data := bytes.TrimSpace(raw.ResponseData)
	switch {
	case len(data) == 0 || string(data) == "null":
	case data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return envelope{}, fmt.Errorf("%w: response_data: %v", errMalformed, jsonReason(err))
		}
		inner := bytes.TrimSpace([]byte(s))
		if len(inner) == 0 {
			break
		}
		if !json.Valid(inner) {
			e.Text = string(inner)
			break
		}
		e.Data = inner
	default:
		e.Data = data
	}
	return e, nil
}

// returnCode accepts an integer JSON number or a non-empty JSON string.
func returnCode(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", fmt.Errorf("%w: no return_code", errMalformed)
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("%w: return_code: %v", errMalformed, jsonReason(err))
		}
		if s = strings.TrimSpace(s); s == "" {
			return "", fmt.Errorf("%w: empty return_code", errMalformed)
		}
		return s, nil
	}
	// A number: keep its text, but only an integer makes sense as a code.
	s := string(raw)
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", fmt.Errorf("%w: return_code %.20s is not an integer", errMalformed, s)
	}
	return s, nil
}

// jsonReason keeps a decoding error short and free of the input (a syntax
// error's message quotes no input, but a type error names Go types only).
func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at offset %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s is a JSON %s", te.Field, te.Value)
	}
	return err.Error()
}

// flexString decodes a JSON string as its value, null as "", and anything
// else (numbers, booleans) as its exact JSON text: 勤策 is loose with types
// (ids arrive as numbers or strings) and a 19-digit id must not pass
// through float64.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	default:
		*f = flexString(b)
	}
	return nil
}

// permanentCode classifies a non-zero return_code: 100608 and 1 (validation
// and generic refusal) and any code not known to be transient are permanent,
// unless the message says the service is busy.
func (c *Client) permanentCode(code, msg string) bool {
	if code == CodeValidation {
		return true
	}
	if _, ok := c.transientCodes[code]; ok {
		return false
	}
	return !upstream.SaysBusy(msg)
}
