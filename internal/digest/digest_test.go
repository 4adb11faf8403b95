package digest_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ksfsync/ksfsync/internal/digest"
)

// Known answers below were computed outside Go (md5sum / openssl) from the
// formulas in shared/specs/FACTS.md; the commands are in each comment.

func TestPushKnownAnswer(t *testing.T) {
	t.Parallel()
	// printf '%s' '{"customer_code":"c1,c2","start_date":"2026-11-01","end_date":"2026-11-30"}|s3cr3t|1763700000000' | md5sum
	const data = `{"customer_code":"c1,c2","start_date":"2026-11-01","end_date":"2026-11-30"}`
	const want = "38aa395074daf9bae375abb5bcbffe60"
	if got := digest.Push(data, "s3cr3t", "1763700000000"); got != want {
		t.Fatalf("Push = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	const data = `{"customer_code":"c1,c2","start_date":"2026-11-01","end_date":"2026-11-30"}`
	const ts = "1763700000000"
	good := "38aa395074daf9bae375abb5bcbffe60"
	sent := time.UnixMilli(1763700000000)
	tests := []struct {
		name    string
		secrets []string
		opts    []digest.VerifierOption
		data    string
		ts      string
		digest  string
		want    error
	}{
		{"lowercase", []string{"s3cr3t"}, nil, data, ts, good, nil},
		{"uppercase", []string{"s3cr3t"}, nil, data, ts, strings.ToUpper(good), nil},
		{"rotation old secret", []string{"new-secret", "s3cr3t"}, nil, data, ts, good, nil},
		{"rotation new secret", []string{"s3cr3t", "other"}, nil, data, ts, digest.Push(data, "other", ts), nil},
		{"forged", []string{"s3cr3t"}, nil, data, ts, "0123456789abcdef0123456789abcdef", digest.ErrMismatch},
		{"other data", []string{"s3cr3t"}, nil, data + " ", ts, good, digest.ErrMismatch},
		{"other timestamp", []string{"s3cr3t"}, nil, data, "1763700000001", good, digest.ErrMismatch},
		{"wrong secret", []string{"nope"}, nil, data, ts, good, digest.ErrMismatch},
		{"missing", []string{"s3cr3t"}, nil, data, ts, "", digest.ErrMissingDigest},
		{"short", []string{"s3cr3t"}, nil, data, ts, good[:31], digest.ErrMalformedDigest},
		{"not hex", []string{"s3cr3t"}, nil, data, ts, "zz" + good[2:], digest.ErrMalformedDigest},
		{"bad timestamp", []string{"s3cr3t"}, nil, data, "yesterday", digest.Push(data, "s3cr3t", "yesterday"), digest.ErrBadTimestamp},
		{"no secret", nil, nil, data, ts, good, digest.ErrNoSecret},
		{"max age ok", []string{"s3cr3t"}, []digest.VerifierOption{digest.WithMaxAge(time.Hour), digest.WithClock(func() time.Time { return sent.Add(59 * time.Minute) })}, data, ts, good, nil},
		{"max age exceeded", []string{"s3cr3t"}, []digest.VerifierOption{digest.WithMaxAge(time.Hour), digest.WithClock(func() time.Time { return sent.Add(61 * time.Minute) })}, data, ts, good, digest.ErrTooOld},
		{"max age off", []string{"s3cr3t"}, []digest.VerifierOption{digest.WithClock(func() time.Time { return sent.Add(240 * time.Hour) })}, data, ts, good, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := digest.NewVerifier(tt.secrets, tt.opts...)
			if err := v.Verify(tt.data, tt.ts, tt.digest); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWaiqinKnownAnswer(t *testing.T) {
	t.Parallel()
	// The vendor's own example (FACTS.md).
	body := []byte(`{"org_id":"ORG001","org_name":"南京掌控网络","org_parent_id":"","org_sequence":001}`)
	if got := digest.Waiqin(body, "BFCO0PAgIUgd50c0l6", "20150806142836"); got != "74267bf0cae0998a719879ec9b3c7780" {
		t.Fatalf("Waiqin = %s", got)
	}
}

func TestOMSKnownAnswer(t *testing.T) {
	t.Parallel()
	// assemble = "charsetutf-8flagksfmethodar.getListpage_no1shop_codeS1timestamp20261121101500typejsonver1"
	// inner = md5(assemble) uppercased = 851CFED694C93A48FE8355B5D9AE1FC8
	// sign  = UPPER(md5(inner + "tok"))
	p := map[string]string{
		"flag": "ksf", "method": "ar.getList", "ver": "1", "charset": "utf-8", "type": "json",
		"timestamp": "20261121101500", "page_no": "1", "shop_code": "S1", "sign": "ignored",
	}
	if a := digest.OMSAssemble(p); a != "charsetutf-8flagksfmethodar.getListpage_no1shop_codeS1timestamp20261121101500typejsonver1" {
		t.Fatalf("assemble = %s", a)
	}
	if got := digest.OMS(p, "tok"); got != "9EBBF89BAA454A446FB5E133FD87E133" {
		t.Fatalf("OMS = %s", got)
	}
}

func TestQimenKnownAnswer(t *testing.T) {
	t.Parallel()
	// printf '%s' 'secappIdapp1app_keyakendDate2026-11-30formatjsonhjySignabcmethodwdt.hjy.bill.ext.query.orgs
	//   shopNo["s1","s2"]sidhjy001sign_methodmd5startDate2026-11-01subBillPlatform9969target_app_keytk
	//   timestamp2026-11-21 10:15:00type1v2.0sec' | md5sum   (one line; note appId sorts before app_key)
	p := map[string]string{
		"method": "wdt.hjy.bill.ext.query.orgs", "app_key": "ak", "target_app_key": "tk", "v": "2.0",
		"format": "json", "sign_method": "md5", "timestamp": "2026-11-21 10:15:00",
		"appId": "app1", "sid": "hjy001", "startDate": "2026-11-01", "endDate": "2026-11-30",
		"shopNo": `["s1","s2"]`, "subBillPlatform": "9969", "type": "1", "hjySign": "abc", "sign": "x",
	}
	if got := digest.Qimen(p, "sec"); got != "9C088385BA02BEB123C486AF04F78020" {
		t.Fatalf("Qimen = %s", got)
	}
}

func TestHJYKnownAnswer(t *testing.T) {
	t.Parallel()
	// string = 'appId:app1&endDate:2026-11-30&shopNo:[s1,s2]&sid:hjy001&startDate:2026-11-01&subBillPlatform:9969&type:1hk'
	// (quotes and spaces removed after appending the key) | md5sum
	p := map[string]string{
		"appId": "app1", "sid": "hjy001", "startDate": "2026-11-01", "endDate": "2026-11-30",
		"shopNo": `["s1","s2"]`, "subBillPlatform": "9969", "type": "1", "hjySign": "ignored",
	}
	if got := digest.HJY(p, "hk"); got != "ebddf442653f095ec2a0fdefdb509d1f" {
		t.Fatalf("HJY = %s", got)
	}
}

func TestJDYKnownAnswers(t *testing.T) {
	t.Parallel()
	const want = "GET\n%2Fjdyconnector%2Fapp_management%2Fkingdee_auth_token\napp_key=bVZgAZOv1&app_signature=MzZlYTk0ODk4MWZlNjdiODNmNWU4YzViNzYxNGM5MTFlOGJkN2NjMzk0MTJkZGNhZGM0NzZhN2YxZDJmOTlkZA%253D%253D\nx-api-nonce:4427456950\nx-api-timestamp:1670305063559\n"
	q := url.Values{
		"app_signature": {"MzZlYTk0ODk4MWZlNjdiODNmNWU4YzViNzYxNGM5MTFlOGJkN2NjMzk0MTJkZGNhZGM0NzZhN2YxZDJmOTlkZA=="},
		"app_key":       {"bVZgAZOv1"},
	}
	s := digest.JDYStringToSign("get", "/jdyconnector/app_management/kingdee_auth_token", q, "4427456950", "1670305063559")
	if s != want {
		t.Fatalf("string to sign =\n%q\nwant\n%q", s, want)
	}
	if got := digest.JDY("f2adcfef73369bfc4e1384677d38a0ff", s); got != "OTFiZTliNDFiMjNkYTI3YzVhNzg4MDI4ZGU3MWY1ZTA5ZTk1NjVlNGM1YTI1ZjIxY2Y5YTA3ZGY2OGI1MGQ1MQ==" {
		t.Fatalf("JDY = %s", got)
	}
	if got := digest.JDYAppSignature("abc", "abc123"); got != "ZDljMTI3NGIyNTE1MTRkYzlkNjc1MDNhYjUzMzgzNWMyY2M4YTdjMzdmNmM3YTVlNDkxMTkzNjdiOTFjNzUyZQ==" {
		t.Fatalf("JDYAppSignature = %s", got)
	}
	if s := digest.JDYStringToSign("GET", "/a b", nil, "1", "2"); s != "GET\n%2Fa%20b\n\nx-api-nonce:1\nx-api-timestamp:2\n" {
		t.Fatalf("no-query string = %q", s)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(`{"customer_code":"c1"}`, "1763700000000", "38aa395074daf9bae375abb5bcbffe60")
	f.Add("", "", "")
	f.Add("x", "-1", "ZZ")
	v := digest.NewVerifier([]string{"s3cr3t", "rotated"})
	f.Fuzz(func(t *testing.T, data, ts, dg string) {
		err := v.Verify(data, ts, dg)
		// The only way to pass is the true digest of one of the secrets.
		if err == nil && !strings.EqualFold(dg, digest.Push(data, "s3cr3t", ts)) && !strings.EqualFold(dg, digest.Push(data, "rotated", ts)) {
			t.Fatalf("accepted a digest no secret produces: %q %q %q", data, ts, dg)
		}
		// And the true digest always passes when the timestamp is valid.
		if err != nil && !errors.Is(err, digest.ErrBadTimestamp) && strings.EqualFold(dg, digest.Push(data, "s3cr3t", ts)) {
			t.Fatalf("refused the true digest: %v", err)
		}
		if err := v.Verify(data, ts, digest.Push(data, "rotated", ts)); err != nil && !errors.Is(err, digest.ErrBadTimestamp) {
			t.Fatalf("refused the true digest: %v", err)
		}
	})
}
