// Package jdy is the 金蝶精斗云 (JDY) v2 client: the customer transaction
// summary GET /jdy/v2/arap/customer_business, used as the `jdy` source of
// the goods statement.
//
// Every request is signed with the v2 scheme (internal/digest: JDY,
// JDYStringToSign, JDYAppSignature) and carries the account set's app-token
// from kingdee_auth_token. The token is cached per Client until
// RefreshMargin before it expires, renewed once when the vendor refuses it,
// fetched by one goroutine at a time (the others wait for it), and
// requested at most MaxRefreshes times per RefreshWindow.
//
// Failures are *upstream.Error with Vendor "jdy": errcode 2000002000,
// network failures, HTTP 5xx/408/429 are transient; refused credentials,
// signatures or parameters, other HTTP 4xx and malformed answers are
// permanent. See docs/jdy.md. Secrets (client secret, app secret,
// app-token, signatures) never appear in errors.
//
// The fake gateway for tests and the demo is in jdytest.
package jdy
