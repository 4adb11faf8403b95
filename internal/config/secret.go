package config

import "github.com/ksfsync/ksfsync/internal/redact"

// Redacted is what a Secret shows instead of its value.
const Redacted = redact.Mark

// Secret is a credential. It prints (%v, %+v, %#v, %s), marshals (JSON, YAML,
// text) and logs as "[redacted]"; Value returns the credential itself for the
// code that signs or verifies with it.
type Secret string

// Value returns the credential.
func (s Secret) Value() string { return string(s) }

// String returns "[redacted]", or "" for an unset secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString is used by %#v.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// MarshalText covers encoding/json, zerolog's Interface and map keys.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalYAML keeps a dumped configuration free of secrets.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// secrets converts values to Secrets.
func secrets(list []string) []Secret {
	out := make([]Secret, 0, len(list))
	for _, s := range list {
		out = append(out, Secret(s))
	}
	return out
}
