// Package lane tells code deep in a job (a vendor client's rate limiter)
// whether the job serves a person waiting now (interactive) or bulk work,
// so that interactive calls go first where both compete.
package lane

import "context"

type key struct{}

// WithInteractive marks ctx as serving interactive work.
func WithInteractive(ctx context.Context) context.Context {
	return context.WithValue(ctx, key{}, true)
}

// Interactive reports whether ctx was marked by WithInteractive.
func Interactive(ctx context.Context) bool {
	v, _ := ctx.Value(key{}).(bool)
	return v
}
