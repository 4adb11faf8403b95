package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestProductionBinariesLinkNoTestCode: the worker and ksfctl link no
// embedded Redis, no vendor fake and no httptest — the demo lives in
// internal/demo, which only cmd/receiver reaches.
func TestProductionBinariesLinkNoTestCode(t *testing.T) {
	t.Parallel()
	for _, pkg := range []string{"github.com/ksfsync/ksfsync/cmd/worker", "github.com/ksfsync/ksfsync/cmd/ksfctl"} {
		t.Run(pkg[strings.LastIndex(pkg, "/")+1:], func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 50 {
				t.Fatalf("go list named only %d packages: %s", len(deps), out)
			}
			for _, dep := range deps {
				if forbidden(dep) {
					t.Errorf("%s links %s", pkg, dep)
				}
			}
		})
	}
}

// forbidden reports a package that belongs in tests or the demo only.
func forbidden(dep string) bool {
	switch {
	case strings.Contains(dep, "miniredis"), strings.Contains(dep, "gopher-lua"),
		dep == "net/http/httptest", dep == "github.com/ksfsync/ksfsync/internal/demo":
		return true
	case strings.HasPrefix(dep, "github.com/ksfsync/ksfsync/"):
		return strings.HasSuffix(dep, "test") // waiqintest, omstest, redistest, logtest, …
	}
	return false
}

func TestForbidden(t *testing.T) {
	t.Parallel()
	for dep, want := range map[string]bool{
		"github.com/alicebob/miniredis/v2":                         true,
		"github.com/yuin/gopher-lua/parse":                         true,
		"net/http/httptest":                                        true,
		"github.com/ksfsync/ksfsync/internal/upstream/oms/omstest": true,
		"github.com/ksfsync/ksfsync/internal/demo":                 true,
		"github.com/ksfsync/ksfsync/internal/upstream/oms":         false,
		"internal/synctest":                                        false, // the standard library's own
		"github.com/hibiken/asynq":                                 false,
	} {
		if got := forbidden(dep); got != want {
			t.Errorf("forbidden(%q) = %v, want %v", dep, got, want)
		}
	}
}
