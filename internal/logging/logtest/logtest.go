// Package logtest gives tests a log sink. Test code only: no production
// package imports it.
package logtest

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
)

// Buffer is a bytes.Buffer that a logger's goroutines may write to while a
// test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Malformed returns every line of logs that is not one JSON object with
// unique keys (what a log ingester needs), each with the reason.
func Malformed(logs string) []string {
	var bad []string
	for line := range strings.SplitSeq(strings.TrimSpace(logs), "\n") {
		if line == "" {
			continue
		}
		if reason := checkLine(line); reason != "" {
			bad = append(bad, reason+": "+line)
		}
	}
	return bad
}

func checkLine(line string) string {
	dec := json.NewDecoder(strings.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "not a JSON object"
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "not JSON"
		}
		k, _ := t.(string)
		if seen[k] {
			return "key " + k + " twice"
		}
		seen[k] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return "not JSON"
		}
	}
	if _, err := dec.Token(); err != nil {
		return "not JSON"
	}
	if dec.More() {
		return "more than one value"
	}
	return ""
}
