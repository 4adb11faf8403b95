package tasks

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzEncodePush: encodePush writes what json.Marshal writes for a Push.
func FuzzEncodePush(f *testing.F) {
	f.Add("t1", "m1", "", "001", "json", "biz", "ksf_statement", "0", "", "1764400000000", "C1,C2", false, "2026-10-01", "2026-10-31", "push", int64(1764400000123456789), 480)
	f.Add("租户", "<m&2>", "d\x00", "", "", "", "ksf_expense", "2", "2026-11-29 10:00:00", "", "", true, "", "", "", int64(0), 0)
	f.Add("t", "m", "", "", "", "", "", "", "", "", ",客户\xff,\u2028", false, "x", "y", "schedule:月结", int64(-1), -330)
	f.Fuzz(func(t *testing.T, tenant, msg, dataID, ver, format, source, dataType, status, statusTime, ts, codes string,
		nilCodes bool, start, end, origin string, nanos int64, offsetMin int) {
		p := Push{TenantID: tenant, MsgID: msg, DataID: dataID, DataVersion: ver, DataFormat: format, DataSource: source,
			DataType: dataType, Status: status, StatusTime: statusTime, Timestamp: ts,
			Data:   PushData{StartDate: start, EndDate: end},
			Origin: origin, ReceivedAt: time.Unix(0, nanos).In(time.FixedZone("z", (offsetMin%(14*60))*60))}
		if !nilCodes {
			p.Data.CustomerCodes = strings.Split(codes, ",")
		}
		want, wantErr := json.Marshal(p)
		got, err := encodePush(p)
		if (err != nil) != (wantErr != nil) || string(got) != string(want) {
			t.Errorf("encodePush = %s, %v\njson.Marshal %s, %v", got, err, want, wantErr)
		}
	})
}

// TestEncodePushYearOutOfRange: a time encoding/json refuses is refused.
func TestEncodePushYearOutOfRange(t *testing.T) {
	t.Parallel()
	p := Push{ReceivedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if b, err := encodePush(p); err == nil {
		t.Errorf("encodePush = %s, want json.Marshal's error", b)
	}
}

// TestEncodePushEveryField: every field of Push, set, is written as
// json.Marshal writes it — so a field added to Push (or PushData) and not
// to encodePush fails here, even one tagged omitempty that FuzzEncodePush
// never sets.
func TestEncodePushEveryField(t *testing.T) {
	t.Parallel()
	var p Push
	fill(t, reflect.ValueOf(&p).Elem())
	want, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := encodePush(p); err != nil || string(got) != string(want) {
		t.Errorf("encodePush = %s, %v\njson.Marshal %s", got, err, want)
	}
}

// fill sets every field of v to a value of its own (not its zero).
func fill(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Interface().(type) {
	case time.Time:
		v.Set(reflect.ValueOf(time.Date(2026, 11, 29, 21, 0, 0, 123, time.FixedZone("CST", 8*3600))))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i))
		}
	case reflect.String:
		v.SetString("值 <&> \u2028")
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(t, s.Index(i))
		}
		v.Set(s)
	default:
		t.Fatalf("fill: a %s field: teach fill (and encodePush) about it", v.Type())
	}
}
