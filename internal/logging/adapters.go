package logging

import (
	"fmt"
	stdlog "log"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"
)

// Std routes net/http's own messages (TLS handshakes, bad requests below
// the handler) to log as warnings with component=http.
func Std(log zerolog.Logger) *stdlog.Logger {
	l := log.With().Str("component", "http").Logger()
	return stdlog.New(writerFunc(func(p []byte) (int, error) {
		l.Warn().Msg(strings.TrimSpace(string(p)))
		return len(p), nil
	}), "", 0)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Asynq adapts log to asynq.Logger.
func Asynq(log zerolog.Logger) asynq.Logger { return asynqLogger{log} }

type asynqLogger struct{ log zerolog.Logger }

func (l asynqLogger) Debug(args ...any) { l.log.Debug().Msg(fmt.Sprint(args...)) }
func (l asynqLogger) Info(args ...any)  { l.log.Info().Msg(fmt.Sprint(args...)) }
func (l asynqLogger) Warn(args ...any)  { l.log.Warn().Msg(fmt.Sprint(args...)) }
func (l asynqLogger) Error(args ...any) { l.log.Error().Msg(fmt.Sprint(args...)) }

// Fatal is what asynq calls when it cannot go on; zerolog's Fatal exits.
func (l asynqLogger) Fatal(args ...any) { l.log.Fatal().Msg(fmt.Sprint(args...)) }

// RedirectStd sends what libraries print through the standard log package
// (plain text, otherwise mixed into the JSON stream) to log as warnings
// with component=stdlog. It is process-wide: call it once, from main.
func RedirectStd(log zerolog.Logger) {
	l := log.With().Str("component", "stdlog").Logger()
	stdlog.SetFlags(0)
	stdlog.SetPrefix("")
	stdlog.SetOutput(writerFunc(func(p []byte) (int, error) {
		l.Warn().Msg(strings.TrimSpace(string(p)))
		return len(p), nil
	}))
}
