package vendors_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/customermap"
	"github.com/ksfsync/ksfsync/internal/demo"
	"github.com/ksfsync/ksfsync/internal/source"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy/jdytest"
	"github.com/ksfsync/ksfsync/internal/vendors"
)

// setup loads a configuration (env plus a KSF_CONFIG file and a customer
// map) pointed at the demo's fakes.
func setup(t *testing.T, file, customers string, env ...string) (*config.Config, *demo.Fakes) {
	t.Helper()
	fakes, err := demo.Start(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fakes.Close)
	dir := t.TempDir()
	mapPath := filepath.Join(dir, "customers.csv")
	if err := os.WriteFile(mapPath, []byte(customers), 0o600); err != nil {
		t.Fatal(err)
	}
	env = append(env, "KSF_REDIS_URL=redis://127.0.0.1:1/0", "KSF_CONFIG=/f.yaml", "KSF_CUSTOMER_MAP="+mapPath)
	cfg, err := config.Load(env, func(string) ([]byte, error) { return []byte(file), nil })
	if err != nil {
		t.Fatal(err)
	}
	fakes.Configure(cfg)
	return cfg, fakes
}

const mapHeader = "customer_code,oms_shop_code,oms_account_id,jdy_customer_id,wdt_shop_no,wdt_platforms\n"

// TestMappingReachesTheWorker: the mapping variables, the tenant blocks,
// the unlisted policy and the confirmed policy end up in the sources and
// handlers the worker runs (issue 10, items 2, 3, 4).
func TestMappingReachesTheWorker(t *testing.T) {
	t.Parallel()
	file := "tenants:\n  t1:\n    push_secrets: [s]\n    oms_income_types: [income, rebate]\n    confirmed_policy: overwrite\n" +
		"    customer_map_unlisted: identity\n  t2:\n    push_secrets: [s]\n"
	cfg, _ := setup(t, file, mapHeader+"C001,,,,,\n", "KSF_OMS_SKIP_TYPES=freeze", "KSF_CONFIRMED_FINAL_STATES=已确认,已审核")
	set, err := vendors.New(cfg, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	goods := set.Statements.(*source.OMSGoods)
	if !reflect.DeepEqual(goods.Options.SkipTypes, []string{"freeze"}) || len(goods.Options.IncomeTypes) != 0 {
		t.Errorf("global options %+v", goods.Options)
	}
	if o := goods.TenantOptions["t1"]; !reflect.DeepEqual(o.IncomeTypes, []string{"income", "rebate"}) || !reflect.DeepEqual(o.SkipTypes, []string{"freeze"}) {
		t.Errorf("t1 options %+v", o)
	}
	if _, err := goods.Maps.Lookup("t2", "C999"); !errors.Is(err, customermap.ErrUnlisted) {
		t.Errorf("t2 unlisted: %v", err)
	}
	if e, err := goods.Maps.Lookup("t1", "C999"); err != nil || e.OMSShopCode != "C999" {
		t.Errorf("t1 identity: %+v %v", e, err)
	}
	h := set.Handlers(nil, nil, zerolog.Nop())
	if h.Held == nil || h.Confirmed["t2"].Overwrite || !h.Confirmed["t1"].Overwrite ||
		!reflect.DeepEqual(h.Confirmed[""].FinalStates, []string{"已确认", "已审核"}) {
		t.Errorf("confirmed policies %+v", h.Confirmed)
	}
}

// TestUnknownPlatformInMapRefusedAtStart: a customer's wdt_platforms must be
// codes of the spec.
func TestUnknownPlatformInMapRefusedAtStart(t *testing.T) {
	t.Parallel()
	cfg, _ := setup(t, "push_secret: s\n", mapHeader+"C001,,,,,9969#1234\n")
	if _, err := vendors.New(cfg, nil, zerolog.Nop()); err == nil || !strings.Contains(err.Error(), `customer "C001": wdt_platforms`) {
		t.Fatalf("err = %v", err)
	}
}

// TestJDYErrcodesConfigured: KSF_JDY_TOKEN_ERRCODES reaches the 精斗云
// client: an errcode listed there refreshes the token once and succeeds
// (issue 10, item 8).
func TestJDYErrcodesConfigured(t *testing.T) {
	t.Parallel()
	cfg, fakes := setup(t, "push_secret: s\n", mapHeader+"C001,,,,,\n", "KSF_STATEMENT_SOURCE=jdy", "KSF_JDY_TOKEN_ERRCODES=777")
	set, err := vendors.New(cfg, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	fakes.JDY.FailNext(jdytest.Failure{Endpoint: jdytest.Business, Errcode: 777, Description: "token 已过期"})
	now := time.Now().In(tz.Shanghai)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, tz.Shanghai)
	_, err = set.Statements.Build(context.Background(), tasks.Sync{TenantID: "t", DataType: tasks.DataTypeStatement,
		CustomerCode: "C001", StartDate: first.Format(time.DateOnly), EndDate: now.Format(time.DateOnly)})
	if err != nil || fakes.JDY.TokenRequests() != 2 {
		t.Fatalf("build: %v after %d token requests", err, fakes.JDY.TokenRequests())
	}
}
