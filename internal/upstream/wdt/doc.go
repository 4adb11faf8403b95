// Package wdt reads 旺店通慧经营 bill records (wdt.hjy.bill.ext.query.orgs)
// through the 奇门 (Taobao Qimen) gateway: the source of the expense statement.
//
// A request is a POST to the router URL with the 奇门 system parameters
// (method, app_key, target_app_key, v=2.0, format=json, sign_method=md5,
// timestamp in GMT+8, sign) in the query string and the business parameters
// (appId, sid, shopNo as a JSON array, subBillPlatform, type, startDate,
// endDate, nextRequestId, hjySign) form-encoded in the body. sign covers
// both sets (digest.Qimen); hjySign covers the business set (digest.HJY).
//
// Client.Bills follows nextRequestId until it is empty or "false" and hands
// every record to a callback as a Bill: common fields typed (money as exact
// decimals whether the vendor sent strings or numbers, times in
// Asia/Shanghai), everything in Bill.Raw. Failures are *upstream.Error with
// Vendor "wdt", classified permanent or transient (see docs/wdt.md).
//
// Package wdttest is a fake gateway that checks what the vendor checks.
package wdt
