package tasks

import (
	"encoding/json"
	"time"

	"github.com/ksfsync/ksfsync/internal/jsonenc"
)

// encodePush is json.Marshal(p), written by hand: it runs for every push the
// receiver takes, and reflection cost it three times as much.
// FuzzEncodePush holds it to json.Marshal.
func encodePush(p Push) ([]byte, error) {
	if y := p.ReceivedAt.Year(); y < 0 || y > 9999 {
		return json.Marshal(p) // time.Time refuses: let it say why
	}
	// Room for the keys, the time and the values unescaped: one allocation
	// for almost every push.
	n := 260 + len(p.TenantID) + len(p.MsgID) + len(p.DataID) + len(p.DataVersion) + len(p.DataFormat) +
		len(p.DataSource) + len(p.DataType) + len(p.Status) + len(p.StatusTime) + len(p.Timestamp) +
		len(p.Data.StartDate) + len(p.Data.EndDate) + len(p.Origin)
	for _, c := range p.Data.CustomerCodes {
		n += len(c) + 3
	}
	b := make([]byte, 0, n)
	b = appendField(b, `{"tenant_id":`, p.TenantID)
	b = appendField(b, `,"msg_id":`, p.MsgID)
	b = appendOptional(b, `,"data_id":`, p.DataID)
	b = appendOptional(b, `,"data_version":`, p.DataVersion)
	b = appendOptional(b, `,"data_format":`, p.DataFormat)
	b = appendOptional(b, `,"data_source":`, p.DataSource)
	b = appendField(b, `,"data_type":`, p.DataType)
	b = appendOptional(b, `,"status":`, p.Status)
	b = appendOptional(b, `,"status_time":`, p.StatusTime)
	b = appendField(b, `,"timestamp":`, p.Timestamp)
	b = append(b, `,"data":{"customer_codes":`...)
	if p.Data.CustomerCodes == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, c := range p.Data.CustomerCodes {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonenc.AppendString(b, c)
		}
		b = append(b, ']')
	}
	b = appendField(b, `,"start_date":`, p.Data.StartDate)
	b = appendField(b, `,"end_date":`, p.Data.EndDate)
	b = append(b, '}')
	b = appendOptional(b, `,"origin":`, p.Origin)
	b = append(b, `,"received_at":"`...)
	b = p.ReceivedAt.AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}`...), nil
}

func appendField(b []byte, key, v string) []byte {
	return jsonenc.AppendString(append(b, key...), v)
}

// appendOptional: a field tagged omitempty.
func appendOptional(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendField(b, key, v)
}
