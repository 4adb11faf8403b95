package retry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/ksfsync/ksfsync/internal/retry"
)

func TestPermanent(t *testing.T) {
	t.Parallel()
	base := errors.New("customer not mapped")
	marked := retry.Permanent(base)
	tests := []struct {
		name      string
		err       error
		permanent bool
	}{
		{"nil", nil, false},
		{"plain", base, false},
		{"marked", marked, true},
		{"wrapped after marking", fmt.Errorf("job: %w", marked), true},
		{"joined", errors.Join(io.EOF, marked), true},
		{"context", context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := retry.IsPermanent(tt.err); got != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", tt.err, got, tt.permanent)
			}
		})
	}
	if marked.Error() != base.Error() {
		t.Errorf("message changed: %q", marked.Error())
	}
	if !errors.Is(marked, base) {
		t.Error("the cause is not in the chain")
	}
	if retry.Permanent(nil) != nil {
		t.Error("Permanent(nil) is not nil")
	}
	if retry.Permanent(marked) != marked {
		t.Error("marking twice wraps twice")
	}
}

func ExamplePermanent() {
	err := fmt.Errorf("build C009: %w", retry.Permanent(errors.New("customer not in the customer map")))
	fmt.Println(retry.IsPermanent(err), err)
	// Output: true build C009: customer not in the customer map
}
