package config_test

import (
	"net"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/ksfsync/ksfsync/internal/config"
)

// TestComposeFiles checks the container files against what the processes
// read: a .dockerignore keeping history and secrets out of the build, the
// admin listeners reachable by a Prometheus on the compose network but not
// published on the host, and no push-listener setting for the worker.
func TestComposeFiles(t *testing.T) {
	t.Parallel()
	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatalf(".dockerignore: %v", err)
	}
	for _, want := range []string{".git", ".env"} {
		if !slices.Contains(strings.Fields(string(ignore)), want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(dockerfile), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "ENV" && strings.Contains(line, "KSF_HTTP_ADDR") {
			t.Errorf("Dockerfile sets KSF_HTTP_ADDR for every command, the worker too: %s", line)
		}
	}
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Environment map[string]string `yaml:"environment"`
			Ports       []string          `yaml:"ports"`
			Expose      []string          `yaml:"expose"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"receiver", "worker"} {
		s, ok := compose.Services[name]
		if !ok {
			t.Fatalf("no %s service", name)
		}
		var env []string
		for k, v := range s.Environment {
			env = append(env, k+"="+v)
		}
		if _, err := config.Load(env, nil); err != nil {
			t.Errorf("%s's environment does not load: %v", name, err)
		}
		if _, set := s.Environment["KSF_HTTP_ADDR"]; set && name == "worker" {
			t.Error("the worker gets KSF_HTTP_ADDR, a push listener it does not have")
		}
		addr := s.Environment["KSF_ADMIN_ADDR"]
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatalf("%s KSF_ADMIN_ADDR=%q: %v", name, addr, err)
		}
		if config.Loopback(addr) {
			t.Errorf("%s KSF_ADMIN_ADDR=%s: loopback inside the container, a Prometheus service cannot scrape it", name, addr)
		}
		if !slices.Contains(s.Expose, port) {
			t.Errorf("%s does not expose its admin port %s to the compose network (expose: %v)", name, port, s.Expose)
		}
		for _, p := range s.Ports {
			if strings.HasSuffix(p, ":"+port) || p == port {
				t.Errorf("%s publishes its admin port on the host: %q", name, p)
			}
		}
	}
}
