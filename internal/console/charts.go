package console

import (
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/history"
)

// Charts are drawn here as coordinates and written as inline SVG by the
// templates: no JavaScript, and they print.

// maxBars is how many customers the differences chart shows.
const maxBars = 12

type bar struct {
	Label, Value, Href string
	Y, Width           int
	TextX              int
	Negative           bool
}

// barChart: each customer's 对账差异 as a horizontal bar, longest first.
type barChart struct {
	Width, Height int
	LabelWidth    int
	Bars          []bar
	More          int // customers with a difference not drawn
}

func differenceChart(diffs []history.CustomerDifference, href func(history.CustomerDifference) string) *barChart {
	if len(diffs) == 0 {
		return nil
	}
	const width, labelW, rowH, valueW = 640, 120, 28, 90
	shown := diffs[:min(len(diffs), maxBars)]
	maxAbs := decimal.Zero
	for _, d := range shown {
		if a := amount(d.Difference).Abs(); a.GreaterThan(maxAbs) {
			maxAbs = a
		}
	}
	c := &barChart{Width: width, Height: len(shown)*rowH + 8, LabelWidth: labelW, More: len(diffs) - len(shown)}
	span := decimal.NewFromInt(width - labelW - valueW)
	for i, d := range shown {
		a := amount(d.Difference)
		w := 2
		if maxAbs.IsPositive() {
			w = max(2, int(a.Abs().Mul(span).Div(maxAbs).IntPart()))
		}
		label := d.Customer
		if len(label) > 14 {
			label = label[:13] + "…"
		}
		c.Bars = append(c.Bars, bar{Label: label, Value: a.StringFixed(2), Href: href(d), Y: 4 + i*rowH, Width: w,
			TextX: labelW + w + 6, Negative: a.IsNegative()})
	}
	return c
}

func amount(s string) decimal.Decimal {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero
	}
	return d
}

type series struct {
	Name, Field, Class string
	X                  int // legend position
}

type column struct {
	X, Y, Width, Height int
	Value               int
	Class               string
}

type monthGroup struct {
	Label   string
	LabelX  int
	Columns []column
}

type gridLine struct {
	Y     int
	Label string
}

// countChart: per month, grouped columns of saved, with difference,
// failed and kept-because-confirmed statements.
type countChart struct {
	Width, Height int
	Left, Bottom  int
	Series        []series
	Groups        []monthGroup
	Grid          []gridLine
}

func monthsChart(months []history.Summary) *countChart {
	const width, height, left, right, top, bottom = 640, 230, 44, 10, 36, 200
	c := &countChart{Width: width, Height: height, Left: left, Bottom: bottom}
	c.Series = []series{{"已保存", "saved", "ok", 0}, {"有差异", "with_difference", "warn", 0}, {"失败", "failed", "bad", 0},
		{"已确认未覆盖", "confirmed", "info", 0}}
	for i := range c.Series {
		c.Series[i].X = left + i*130
	}
	top1 := 0
	for _, m := range months {
		top1 = max(top1, m.Saved, m.Difference, m.Failed, m.Confirmed)
	}
	scale := niceCeil(top1)
	for _, f := range []int{0, 1, 2} {
		v := scale * f / 2
		c.Grid = append(c.Grid, gridLine{Y: bottom - (bottom-top)*f/2, Label: strconv.Itoa(v)})
	}
	if len(months) == 0 {
		return c
	}
	groupW := (width - left - right) / len(months)
	colW := groupW * 4 / 5 / len(c.Series)
	for i, m := range months {
		g := monthGroup{Label: m.Month, LabelX: left + i*groupW + groupW/2}
		x := left + i*groupW + groupW/10
		for j, v := range []int{m.Saved, m.Difference, m.Failed, m.Confirmed} {
			h := 0
			if scale > 0 {
				h = (bottom - top) * v / scale
			}
			if v > 0 && h < 2 {
				h = 2
			}
			g.Columns = append(g.Columns, column{X: x + j*colW, Y: bottom - h, Width: colW - 2, Height: h, Value: v, Class: c.Series[j].Class})
		}
		c.Groups = append(c.Groups, g)
	}
	return c
}

// niceCeil rounds n up to 1, 2 or 4 × a power of ten (at least 2, so the
// half-way grid line is a whole number).
func niceCeil(n int) int {
	if n <= 2 {
		return 2
	}
	p := 1
	for p*10 < n {
		p *= 10
	}
	for _, m := range []int{1, 2, 4, 10} {
		if m*p >= n {
			return m * p
		}
	}
	return 10 * p
}
