package schedule

import (
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Zone)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCronNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, from string
		want             []string // successive fire times
	}{
		{"monthly close on the 1st", "0 6 1 * *", "2026-01-15 10:00", []string{"2026-02-01 06:00", "2026-03-01 06:00", "2026-04-01 06:00"}},
		{"strictly after", "0 6 1 * *", "2026-02-01 06:00", []string{"2026-03-01 06:00"}},
		{"day 31 falls on short months' last day", "0 6 31 * *", "2026-01-31 07:00",
			[]string{"2026-02-28 06:00", "2026-03-31 06:00", "2026-04-30 06:00", "2026-05-31 06:00", "2026-06-30 06:00"}},
		{"day 30 in a leap February", "30 23 30 * *", "2028-01-31 00:00", []string{"2028-02-29 23:30", "2028-03-30 23:30"}},
		{"30,31 fires once in a 30-day month", "0 6 30,31 * *", "2026-04-01 00:00", []string{"2026-04-30 06:00", "2026-05-30 06:00", "2026-05-31 06:00"}},
		{"day 29 in February of a common year", "0 6 29 2 *", "2026-01-01 00:00", []string{"2026-02-28 06:00", "2027-02-28 06:00", "2028-02-29 06:00"}},
		{"daily refresh", "30 2 * * *", "2026-12-31 03:00", []string{"2027-01-01 02:30", "2027-01-02 02:30"}},
		{"weekdays", "0 9 * * 1-5", "2026-11-27 10:00", []string{"2026-11-30 09:00", "2026-12-01 09:00"}}, // Fri → Mon
		{"dom or dow when both restricted", "0 0 1 * 0", "2026-11-28 00:00", []string{"2026-11-29 00:00", "2026-12-01 00:00", "2026-12-06 00:00"}},
		{"every 15 minutes across midnight", "*/15 * * * *", "2026-03-31 23:50", []string{"2026-04-01 00:00", "2026-04-01 00:15"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := ParseCron(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			cur := at(tc.from)
			for _, w := range tc.want {
				next := c.Next(cur)
				if got := next.Format("2006-01-02 15:04"); got != w {
					t.Fatalf("Next(%s) = %s, want %s", cur.Format("2006-01-02 15:04"), got, w)
				}
				if prev := c.Prev(next); !prev.Equal(next) {
					t.Errorf("Prev(%s) = %s, want itself", next, prev)
				}
				if prev := c.Prev(next.Add(-time.Minute)); !prev.Before(next) {
					t.Errorf("Prev just before %s = %s", next, prev)
				}
				cur = next
			}
		})
	}
}

func TestCronPrevAcrossMonthEnd(t *testing.T) {
	t.Parallel()
	c, _ := ParseCron("0 6 31 * *")
	if got := c.Prev(at("2026-03-15 00:00")); !got.Equal(at("2026-02-28 06:00")) {
		t.Errorf("Prev = %s, want the last day of February", got)
	}
	if got := c.Prev(at("2026-02-28 05:59")); !got.Equal(at("2026-01-31 06:00")) {
		t.Errorf("Prev = %s, want 31 January", got)
	}
	if got := c.Prev(at("2026-02-28 12:00").UTC()); got.Location() != Zone || !got.Equal(at("2026-02-28 06:00")) {
		t.Errorf("Prev of a UTC time = %s, want 06:00 Shanghai in Shanghai", got)
	}
}

func TestParseCronErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ expr, want string }{
		{"", "empty"},
		{"@daily", "descriptors"},
		{"CRON_TZ=UTC 0 6 1 * *", "time zone"},
		{"0 6 1 *", "has 4 fields, want 5"},
		{"0 0 6 1 * *", "has 6 fields"},
		{"0 25 1 * *", "25"},
		{"x 6 1 * *", "x"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			t.Parallel()
			_, err := ParseCron(tc.expr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseCron(%q) = %v, want an error with %q", tc.expr, err, tc.want)
			}
		})
	}
}

func TestPeriodRange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ period, fire, start, end string }{
		{"last_month", "2026-03-01 06:00", "2026-02-01", "2026-02-28"},
		{"last_month", "2028-03-31 23:59", "2028-02-01", "2028-02-29"},
		{"last_month", "2027-01-01 00:00", "2026-12-01", "2026-12-31"},
		{"month_to_date", "2026-11-29 02:30", "2026-11-01", "2026-11-29"},
		{"month_to_date", "2026-12-01 00:30", "2026-12-01", "2026-12-01"},
		{"days:1", "2027-01-01 02:30", "2026-12-31", "2026-12-31"},
		{"days:7", "2026-03-03 02:30", "2026-02-24", "2026-03-02"},
	} {
		t.Run(tc.period+" "+tc.fire, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePeriod(tc.period)
			if err != nil {
				t.Fatal(err)
			}
			if p.String() != tc.period {
				t.Errorf("String = %q", p)
			}
			s, e := p.Range(at(tc.fire))
			if s != tc.start || e != tc.end {
				t.Errorf("Range = %s..%s, want %s..%s", s, e, tc.start, tc.end)
			}
		})
	}
	// A fire time given in UTC is still a Shanghai date: 2026-02-28 16:30 UTC
	// is 1 March 00:30 in Shanghai.
	p, _ := ParsePeriod("last_month")
	if s, e := p.Range(time.Date(2026, 2, 28, 16, 30, 0, 0, time.UTC)); s != "2026-02-01" || e != "2026-02-28" {
		t.Errorf("Range of a UTC time = %s..%s", s, e)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	good := Spec{Tenant: "1234567", Name: "monthly-close", Cron: "0 6 1 * *", DataTypes: []string{"ksf_statement"}, Period: "last_month"}
	for _, tc := range []struct {
		name string
		edit func(*Spec)
		want string
	}{
		{"bad name", func(s *Spec) { s.Name = "Monthly Close" }, `name "Monthly Close"`},
		{"no tenant", func(s *Spec) { s.Tenant = "" }, "KSF_TENANT_ID"},
		{"bad cron", func(s *Spec) { s.Cron = "0 6 1 *" }, "want 5"},
		{"bad period", func(s *Spec) { s.Period = "last_week" }, `period "last_week"`},
		{"days out of range", func(s *Spec) { s.Period = "days:0" }, "from 1 to 366"},
		{"no data type", func(s *Spec) { s.DataTypes = nil }, "data_types is empty"},
		{"bad data type", func(s *Spec) { s.DataTypes = []string{"ksf_order"} }, `data type "ksf_order"`},
		{"bad customer", func(s *Spec) { s.Customers = []string{strings.Repeat("x", 101)} }, "customers:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sp := good
			tc.edit(&sp)
			_, err := Parse(sp)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "schedule") {
				t.Fatalf("Parse = %v, want an error naming the schedule with %q", err, tc.want)
			}
		})
	}
	s, err := Parse(Spec{Tenant: "1", Name: "daily", Cron: "30 2 * * *", DataTypes: []string{"ksf_statement", "ksf_statement"},
		Period: "month_to_date", Customers: []string{" c1", "c1", "", "c2 "}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.DataTypes) != 1 || strings.Join(s.Customers, ",") != "c1,c2" {
		t.Errorf("Parse kept %v %v, want duplicates dropped and codes trimmed", s.DataTypes, s.Customers)
	}
	_, err = ParseAll([]Spec{good, good})
	if err == nil || !strings.Contains(err.Error(), "defined twice") {
		t.Errorf("ParseAll of a duplicate = %v", err)
	}
}

// BenchmarkCronNext: the cost of one next-fire-time computation (the loop
// computes one per schedule per wake-up, the metrics two per scrape).
func BenchmarkCronNext(b *testing.B) {
	for _, expr := range []string{"0 6 1 * *", "30 2 * * *", "0 6 29 2 *"} {
		c, err := ParseCron(expr)
		if err != nil {
			b.Fatal(err)
		}
		from := at("2026-03-01 07:00")
		b.Run(expr, func(b *testing.B) {
			for b.Loop() {
				c.Next(from)
			}
		})
	}
}
