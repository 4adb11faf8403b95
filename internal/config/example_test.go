package config_test

import (
	"fmt"

	"github.com/ksfsync/ksfsync/internal/config"
)

func ExampleLoad() {
	env := []string{
		"KSF_REDIS_URL=redis://:hunter2@redis:6379/0",
		"KSF_PUSH_SECRET=new-secret,old-secret", // a rotation: both accepted
		"KSF_STATEMENT_SOURCE=jdy",
	}
	c, err := config.Load(env, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	secrets, ok := c.PushSecretsFor("1234567")
	fmt.Println(c.Redis, len(secrets), ok, c.StatementSource, c.Waiqin.AppKey == "")
	fmt.Printf("%v\n", c.PushSecrets)

	_, err = config.Load([]string{"KSF_WORKER_CONCURENCY=4"}, nil)
	fmt.Println(err)
	// Output:
	// redis://:xxxxx@redis:6379/0 2 true jdy true
	// [[redacted] [redacted]]
	// configuration: unknown variable KSF_WORKER_CONCURENCY (did you mean KSF_WORKER_CONCURRENCY?)
}
