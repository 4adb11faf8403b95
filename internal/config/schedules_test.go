package config_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ksfsync/ksfsync/internal/config"
)

// The DESIGN.md example, plus a top-level schedule of KSF_TENANT_ID.
const schedulesFile = `
push_secret: s
schedules:
  - name: daily-refresh
    cron: "30 2 * * *"
    data_types: [ksf_statement]
    period: month_to_date
tenants:
  "1234567":
    schedules:
      - name: monthly-close
        cron: "0 6 1 * *"
        data_types: [ksf_statement, ksf_expense]
        period: last_month
        customers: []
  "7654321":
    schedules:
      - name: monthly-close
        cron: "0 7 31 * *"
        data_types: [ksf_expense]
        period: days:7
        customers: [c1, c2]
`

func TestLoadSchedules(t *testing.T) {
	t.Parallel()
	c, err := config.Load([]string{"KSF_CONFIG=/f.yaml", "KSF_TENANT_ID=1234567"}, files(map[string]string{"/f.yaml": schedulesFile}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range c.Schedules {
		got = append(got, fmt.Sprintf("%s %q %s %v %v", s.Key(), s.Cron, s.Period, s.DataTypes, s.Customers))
	}
	want := []string{
		`1234567/daily-refresh "30 2 * * *" month_to_date [ksf_statement] []`,
		`1234567/monthly-close "0 6 1 * *" last_month [ksf_statement ksf_expense] []`,
		`7654321/monthly-close "0 7 31 * *" days:7 [ksf_expense] [c1 c2]`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Schedules:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !c.Scheduler || c.ScheduleCatchUp != 24*time.Hour {
		t.Errorf("defaults: scheduler %v, catch-up %s", c.Scheduler, c.ScheduleCatchUp)
	}
}

func TestLoadScheduleVariables(t *testing.T) {
	t.Parallel()
	c, err := config.Load([]string{"KSF_TENANT_ID=42", "KSF_SCHEDULE_CRON=0 6 1 * *", "KSF_SCHEDULE_CATCHUP=0s"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Schedules) != 1 {
		t.Fatalf("Schedules = %v", c.Schedules)
	}
	s := c.Schedules[0]
	if s.Key() != "42/scheduled" || s.Period.String() != "last_month" || fmt.Sprint(s.DataTypes) != "[ksf_statement ksf_expense]" || len(s.Customers) != 0 {
		t.Errorf("defaults of the KSF_SCHEDULE_* schedule: %+v", s)
	}
	if c.ScheduleCatchUp != 0 {
		t.Errorf("catch-up %s, want 0 (off)", c.ScheduleCatchUp)
	}
}

func TestScheduleErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, want string
		env              []string
	}{
		{"no tenant", "schedules:\n  - {name: a, cron: '0 6 1 * *', data_types: [ksf_statement], period: last_month}\n",
			`schedule "a": no tenant`, nil},
		{"typo in a schedule", "tenants:\n  t1:\n    schedules:\n      - {name: a, cronn: '0 6 1 * *'}\n", "field cronn not found", nil},
		{"bad cron in a tenant", "tenants:\n  t1:\n    schedules:\n      - {name: a, cron: '0 6 1 *', data_types: [ksf_statement], period: last_month}\n",
			`schedule "a" of tenant "t1": cron "0 6 1 *" has 4 fields`, nil},
		{"bad period", "schedules:\n  - {name: a, cron: '0 6 1 * *', data_types: [ksf_statement], period: lastmonth}\n",
			`period "lastmonth"`, []string{"KSF_TENANT_ID=t1"}},
		{"duplicate", "schedules:\n  - {name: a, cron: '0 6 1 * *', data_types: [ksf_statement], period: last_month}\n  - {name: a, cron: '0 7 1 * *', data_types: [ksf_expense], period: last_month}\n",
			"defined twice", []string{"KSF_TENANT_ID=t1"}},
		{"variables without cron", "", "without KSF_SCHEDULE_CRON", []string{"KSF_SCHEDULE_PERIOD=days:3"}},
		{"variable schedule bad data type", "", `data type "ksf_order"`, []string{"KSF_TENANT_ID=t1", "KSF_SCHEDULE_CRON=0 6 1 * *", "KSF_SCHEDULE_DATA_TYPES=ksf_order"}},
		{"catch-up too long", "", "KSF_SCHEDULE_CATCHUP", []string{"KSF_SCHEDULE_CATCHUP=240h"}},
		{"scheduler value", "", `KSF_SCHEDULER="maybe"`, []string{"KSF_SCHEDULER=maybe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := append([]string{"KSF_CONFIG=/f.yaml"}, tt.env...)
			_, err := config.Load(env, files(map[string]string{"/f.yaml": tt.file}))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
