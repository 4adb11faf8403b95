package reconcile_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPure: reconcile links nothing that does I/O, not even transitively.
func TestPure(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/ksfsync/ksfsync/internal/reconcile").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list named only %d packages: %s", len(deps), out)
	}
	for _, dep := range deps {
		if dep == "net" || strings.HasPrefix(dep, "net/") || dep == "os/exec" || dep == "database/sql" ||
			strings.Contains(dep, "redis") || strings.Contains(dep, "ksfsync/internal/upstream") {
			t.Errorf("reconcile links %s", dep)
		}
	}
}
