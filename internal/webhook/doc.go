// Package webhook is the HTTP side of the receiver: the POST /waiqin/push
// route 勤策 pushes to, its request parsing and answers, /healthz and
// /readyz, and the middleware (request IDs, panic recovery).
//
// A push is accepted only once Redis holds its ksf:push task
// (tasks.Enqueue), so a 200 means "durably queued" and anything else makes
// 勤策 retry. Checks run in this order, each with its own status:
//
//	Content-Type, body ≤ 1 MiB      400 / 413
//	fields present, sane, timestamp 400
//	tenant allowed                  401
//	digest md5(data|secret|ts)      401
//	dataType                        422
//	data (tasks.ParsePushData)      400
//	enqueue                         200 (or "already queued"), 503 when Redis cannot take it
//
// answerFor is the one place mapping errors to statuses; senders get a short
// message they can act on, the log line (one per push) gets the detail.
// Secrets never reach an answer or a log.
package webhook
