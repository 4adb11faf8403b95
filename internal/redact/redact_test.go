package redact_test

import (
	"fmt"

	"github.com/ksfsync/ksfsync/internal/redact"
)

func ExampleString() {
	fmt.Println(redact.String("s3cr3t"), redact.String(""))
	// Output: [redacted] ""
}
