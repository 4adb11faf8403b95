package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"

	"github.com/rs/zerolog"
)

// RequestIDHeader carries the request ID: taken from the request when a
// proxy set one, else made here; always echoed in the answer.
const RequestIDHeader = "X-Request-Id"

type ctxKey struct{}

// RequestID returns the request ID of ctx ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

var (
	idPrefix  = newIDPrefix()
	idCounter atomic.Uint64
)

// newIDPrefix makes IDs unique across processes and restarts; the counter
// makes them unique within one, without a random read per request.
func newIDPrefix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b) + "-"
}

// WithRequestID gives every request an ID (see RequestIDHeader).
func WithRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if id == "" || len(id) > 64 || !printable(id) {
			id = idPrefix + strconv.FormatUint(idCounter.Add(1), 36)
		}
		w.Header()[RequestIDHeader] = []string{id}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, id)))
	})
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// recoverer turns a panic into a logged error and a 500 answer, so one bad
// request does not take the process down.
func recoverer(log *zerolog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error().Str("req_id", RequestID(r.Context())).Str("path", r.URL.Path).
					Interface("panic", v).Bytes("stack", debug.Stack()).Msg("panic serving request")
				a := answerFor(errPanic)
				writeAnswer(w, a.status, a.msg, "")
			}()
			next.ServeHTTP(w, r)
		})
	}
}
