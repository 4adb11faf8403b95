// Package redact is the one spelling of a hidden secret: config.Secret and
// every vendor client's printed Config show "[redacted]" in its place.
package redact

// Mark stands for a secret in logs, errors and printed configurations.
const Mark = "[redacted]"

// String returns Mark for a set secret and `""` for an unset one, so a
// printed configuration still shows which credential is missing.
func String(secret string) string {
	if secret == "" {
		return `""`
	}
	return Mark
}
