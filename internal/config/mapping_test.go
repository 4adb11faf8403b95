package config_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/customermap"
	"github.com/ksfsync/ksfsync/internal/reconcile"
)

// TestMappingVariables: the mapping's choices and the save policy are KSF_*
// variables and per-tenant keys of KSF_CONFIG, validated at start (issue
// 10, items 2, 3, 4 and 8).
func TestMappingVariables(t *testing.T) {
	t.Parallel()
	file := `
push_secret: s
oms_skip_types: [freeze]
tenants:
  "1001":
    oms_income_types: [income, rebate]
    difference_tolerance: "0.05"
    confirmed_policy: overwrite
    customer_map_unlisted: identity
  "1002": {}
`
	c, err := config.Load([]string{"KSF_CONFIG=/f.yaml", "KSF_OMS_INCOME_TYPES=income, refund", "KSF_RETURN_MARKERS=退,RMA",
		"KSF_TRADE_MONTH=start", "KSF_CONFIRMED_FINAL_STATES=已确认,已审核", "KSF_JDY_TOKEN_ERRCODES=1000001007, 42",
		"KSF_JDY_TRANSIENT_ERRCODES=2000002000"}, files(map[string]string{"/f.yaml": file}))
	if err != nil {
		t.Fatal(err)
	}
	g := c.MappingFor("1002")
	o, err := g.Options()
	if err != nil {
		t.Fatal(err)
	}
	want := reconcile.Options{IncomeTypes: []string{"income", "refund"}, SkipTypes: []string{"freeze"},
		ReturnMarkers: []string{"退", "RMA"}, TradeMonth: reconcile.TradeMonthStart}
	if !reflect.DeepEqual(o, want) || g.Overwrite() || g.Unlisted() != customermap.UnlistedRefuse ||
		!reflect.DeepEqual(g.ConfirmedFinalStates, []string{"已确认", "已审核"}) {
		t.Errorf("global mapping = %+v, options %+v", g, o)
	}
	t1 := c.MappingFor("1001")
	o1, err := t1.Options()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o1.IncomeTypes, []string{"income", "rebate"}) || !o1.DifferenceTolerance.Equal(decimal.RequireFromString("0.05")) ||
		!reflect.DeepEqual(o1.SkipTypes, []string{"freeze"}) || !t1.Overwrite() || t1.Unlisted() != customermap.UnlistedIdentity {
		t.Errorf("tenant 1001 mapping = %+v, options %+v", t1, o1)
	}
	if !reflect.DeepEqual(c.JDY.TokenErrcodes, []int64{1000001007, 42}) || !reflect.DeepEqual(c.JDY.TransientErrcodes, []int64{2000002000}) {
		t.Errorf("jdy errcodes %v %v", c.JDY.TokenErrcodes, c.JDY.TransientErrcodes)
	}
	if d, err := config.Default().Mapping.Options(); err != nil || !reflect.DeepEqual(d, reconcile.Options{}) {
		t.Errorf("default options = %+v, %v", d, err)
	}
}

func TestMappingErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		file string
		want string
	}{
		{"policy", []string{"KSF_CONFIRMED_POLICY=always"}, "", `KSF_CONFIRMED_POLICY="always": must be one of keep, overwrite`},
		{"unlisted", []string{"KSF_CUSTOMER_MAP_UNLISTED=guess"}, "", `KSF_CUSTOMER_MAP_UNLISTED="guess"`},
		{"tolerance", []string{"KSF_DIFFERENCE_TOLERANCE=-1"}, "", `KSF_DIFFERENCE_TOLERANCE="-1": is not an amount`},
		{"trade month", []string{"KSF_TRADE_MONTH=end"}, "", `KSF_TRADE_MONTH="end"`},
		{"empty list", []string{"KSF_OMS_SKIP_TYPES= , "}, "", `KSF_OMS_SKIP_TYPES=",": lists no value`},
		{"errcode", []string{"KSF_JDY_TOKEN_ERRCODES=abc"}, "", `"abc" is not a numeric errcode`},
		{"type twice", []string{"KSF_OMS_SKIP_TYPES=income"}, "", `type "income" is in both income types and skip types`},
		{"typo", []string{"KSF_CONFIRM_POLICY=keep"}, "", "did you mean KSF_CONFIRMED_POLICY?"},
		{"tenant policy", nil, "tenants:\n  t1: {confirmed_policy: never}\n", `tenant "t1": confirmed_policy="never"`},
		{"tenant types", nil, "tenants:\n  t1: {oms_expense_types: [income]}\n", `tenant "t1": oms_income_types`},
		{"tenant tolerance", nil, "tenants:\n  t1: {difference_tolerance: abc}\n", `tenant "t1": difference_tolerance="abc"`},
		{"tenant key typo", nil, "tenants:\n  t1: {oms_income_type: [x]}\n", "field oms_income_type not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := append([]string{"KSF_CONFIG=/f.yaml"}, tt.env...)
			_, err := config.Load(env, files(map[string]string{"/f.yaml": "push_secret: s\n" + tt.file}))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
