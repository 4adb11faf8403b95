package wdt_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ksfsync/ksfsync/internal/upstream"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt"
)

// TestRequestKnownAnswer proves that the requests the client builds carry
// exactly the expected parameters, sign and hjySign. The values were
// computed by hand from the documented formulas, not by this code:
//
// Request 1 (type 1, first page), clock 2026-11-21 02:15:00 UTC = 10:15:00 GMT+8.
//
//	hjySign: business params except hjySign, sorted by key as k:v joined by
//	"&", hjy app key "hk" appended, '"' and ' ' removed, lowercase md5:
//	  printf '%s' 'appId:app1&endDate:2026-11-30&shopNo:[s1,s2]&sid:hjy001&startDate:2026-11-01&subBillPlatform:9969&type:1hk' | md5sum
//	  → ebddf442653f095ec2a0fdefdb509d1f
//	sign: secret "sec" + every system and business param (hjySign included,
//	sign excluded) sorted by key as k then v + secret, upper-case md5
//	(appId sorts before app_key because 'I' < '_'):
//	  printf '%s' 'secappIdapp1app_keyakendDate2026-11-30formatjsonhjySignebddf442653f095ec2a0fdefdb509d1fmethodwdt.hjy.bill.ext.query.orgsshopNo["s1","s2"]sidhjy001sign_methodmd5startDate2026-11-01subBillPlatform9969target_app_keytktimestamp2026-11-21 10:15:00type1v2.0sec' | md5sum
//	  → 38C76357C5F6294714FC626EE68D4C1A
//
// Request 2 (type 2, the page after nextRequestId 1760506606618202114): the
// spaces inside the dates vanish from the hjySign string but not from sign's.
//
//	printf '%s' 'appId:app1&endDate:2026-11-3023:59:59&nextRequestId:1760506606618202114&shopNo:[mbal]&sid:hjy001&startDate:2026-11-0100:00:00&subBillPlatform:9999&type:2hk' | md5sum
//	  → ac823f0ce6dd6a4e9f593af6583e75b3
//	printf '%s' 'secappIdapp1app_keyakendDate2026-11-30 23:59:59formatjsonhjySignac823f0ce6dd6a4e9f593af6583e75b3methodwdt.hjy.bill.ext.query.orgsnextRequestId1760506606618202114shopNo["mbal"]sidhjy001sign_methodmd5startDate2026-11-01 00:00:00subBillPlatform9999target_app_keytktimestamp2026-11-21 10:15:00type2v2.0sec' | md5sum
//	  → E9F0915D8BE95AC7A52C8C0FB2BE1995
func TestRequestKnownAnswer(t *testing.T) {
	t.Parallel()
	type got struct {
		method, contentType string
		query, form         url.Values
	}
	var mu sync.Mutex
	var reqs []got
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		mu.Lock()
		reqs = append(reqs, got{r.Method, r.Header.Get("Content-Type"), r.URL.Query(), r.PostForm})
		n := len(reqs)
		mu.Unlock()
		if n == 2 {
			_, _ = w.Write([]byte(`{"resultCode":"200","data":[],"nextRequestId":"1760506606618202114"}`))
			return
		}
		_, _ = w.Write([]byte(`{"resultCode":"200","data":[],"nextRequestId":"false"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := wdt.New(wdt.Config{
		RouterURL:    srv.URL + "/router/qm",
		AppKey:       "ak",
		AppSecret:    "sec",
		TargetAppKey: "tk",
		HJYAppID:     "app1",
		HJYAppKey:    "hk",
		SID:          "hjy001",
		CallOptions:  upstream.CallOptions{Now: func() time.Time { return time.Date(2026, 11, 21, 2, 15, 0, 0, time.UTC) }},
	})
	if err != nil {
		t.Fatal(err)
	}
	nop := func(wdt.Bill) error { return nil }
	ctx := context.Background()
	if err := c.Bills(ctx, wdt.BillQuery{ShopNos: []string{"s1", "s2"}, Platform: wdt.PlatformDouyinFunds,
		Start: day(2026, 11, 1), End: day(2026, 11, 30)}, nop); err != nil {
		t.Fatal(err)
	}
	if err := c.Bills(ctx, wdt.BillQuery{ShopNos: []string{"mbal"}, Platform: wdt.PlatformAlipay, Type: wdt.ByCreateTime,
		Start: day(2026, 11, 1), End: day(2026, 11, 30).Add(24*time.Hour - time.Second)}, nop); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	sys := func(sign string) url.Values {
		return url.Values{"method": {"wdt.hjy.bill.ext.query.orgs"}, "app_key": {"ak"}, "target_app_key": {"tk"},
			"v": {"2.0"}, "format": {"json"}, "sign_method": {"md5"}, "timestamp": {"2026-11-21 10:15:00"}, "sign": {sign}}
	}
	want := []got{
		{"POST", "application/x-www-form-urlencoded;charset=utf-8", sys("38C76357C5F6294714FC626EE68D4C1A"), url.Values{
			"appId": {"app1"}, "sid": {"hjy001"}, "startDate": {"2026-11-01"}, "endDate": {"2026-11-30"},
			"shopNo": {`["s1","s2"]`}, "subBillPlatform": {"9969"}, "type": {"1"}, "hjySign": {"ebddf442653f095ec2a0fdefdb509d1f"}}},
		{}, // type 2, first page: checked below only for the absence of nextRequestId
		{"POST", "application/x-www-form-urlencoded;charset=utf-8", sys("E9F0915D8BE95AC7A52C8C0FB2BE1995"), url.Values{
			"appId": {"app1"}, "sid": {"hjy001"}, "startDate": {"2026-11-01 00:00:00"}, "endDate": {"2026-11-30 23:59:59"},
			"nextRequestId": {"1760506606618202114"}, "shopNo": {`["mbal"]`}, "subBillPlatform": {"9999"}, "type": {"2"},
			"hjySign": {"ac823f0ce6dd6a4e9f593af6583e75b3"}}},
	}
	for _, i := range []int{0, 2} {
		if !reflect.DeepEqual(reqs[i], want[i]) {
			t.Errorf("request %d =\n%+v\nwant\n%+v", i+1, reqs[i], want[i])
		}
	}
	if reqs[1].form.Has("nextRequestId") || reqs[1].form.Get("type") != "2" {
		t.Errorf("first page of type 2 = %v", reqs[1].form)
	}
}
