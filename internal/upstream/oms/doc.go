// Package oms is the client of the 商派 (ShopEx) OMS openapi, the default
// source of the goods statement: receivables (ar.getList, ar.getDetail) and
// customer account movements (finance.getTransactionList,
// finance.getAccountBalance).
//
// Every call is a form-encoded POST to {base}/index.php/openapi/rpc/service/
// carrying the system parameters (flag, method, ver, charset, type,
// timestamp) and a sign computed by digest.OMS. The vendor refuses a signed
// request it has seen within the hour, so each attempt is signed afresh and
// the client never signs the same query twice in the same second.
//
// Lists are paged by the answer's count, never by the page size asked for:
// the vendor silently caps page_size at 100. Money is decoded into
// decimal.Decimal straight from the JSON text (the vendor sends strings in
// some answers and numbers in others), times into tz.Shanghai.
//
// Failures are *upstream.Error with Vendor "oms" and Op the method name,
// classified permanent or transient as docs/oms.md tabulates. Expired or
// repeated timestamps are re-signed and retried once inside the client; every
// other retry is the worker's (asynq's) business.
//
// The fake vendor for tests and the demo lives in the omstest sub-package.
package oms
