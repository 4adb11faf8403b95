// Package customermap maps a 勤策 customer_code to the ids each source
// knows the customer by (KSF_CUSTOMER_MAP).
//
// The map is a CSV file whose first line is exactly
//
//	customer_code,oms_shop_code,oms_account_id,jdy_customer_id,wdt_shop_no
//
// (a UTF-8 BOM and spaces around cells are tolerated); more columns may
// follow, of which wdt_platforms is read (a customer's 旺店通 subBillPlatform
// codes joined with '#'; empty: the configured list) and the others are
// ignored. An empty cell means the customer_code itself. oms_shop_code and
// wdt_shop_no may list several shops joined with '#'.
//
// A customer the file does not list is refused (Resolve answers ErrUnlisted)
// unless the map was made WithUnlisted(UnlistedIdentity)
// (KSF_CUSTOMER_MAP_UNLISTED): guessing its ids would build a statement of
// somebody else's data, or an empty one over a real one. With no file every
// id is the customer_code (identity). The file is loaded and validated once
// at start; a *Map is read-only afterwards and safe for concurrent use.
package customermap

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Header is the required first line.
const Header = "customer_code,oms_shop_code,oms_account_id,jdy_customer_id,wdt_shop_no"

// columns in file order.
var columns = strings.Split(Header, ",")

// ColumnWDTPlatforms is the optional column of per-customer 旺店通 platforms.
const ColumnWDTPlatforms = "wdt_platforms"

// Sep joins several shop codes or platform codes in one cell (FACTS: OMS
// joins shop codes with '#').
const Sep = "#"

// Entry is the ids of one customer, every one filled in (identity where the
// file leaves it open).
type Entry struct {
	CustomerCode  string // 勤策 customer_code
	OMSShopCode   string // oms ar.getList shop_code
	OMSAccountID  string // oms finance account_id
	JDYCustomerID string // jdy customer_business customer_id
	WDTShopNo     string // wdt shopNo; several joined with '#'
	// WDTPlatforms are the customer's 旺店通 subBillPlatform codes joined
	// with '#'; "" = the configured list (KSF_WDT_PLATFORMS).
	WDTPlatforms string
}

// OMSShopCodes are the customer's OMS shops: oms_shop_code split at '#'.
func (e Entry) OMSShopCodes() []string { return split(e.OMSShopCode) }

// WDTShopNos are the customer's 旺店通 shops: wdt_shop_no split at '#'.
func (e Entry) WDTShopNos() []string { return split(e.WDTShopNo) }

// WDTPlatformCodes are the customer's 旺店通 platforms; nil = configured.
func (e Entry) WDTPlatformCodes() []string { return split(e.WDTPlatforms) }

func split(cell string) []string {
	var out []string
	for p := range strings.SplitSeq(cell, Sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Unlisted says what a customer missing from a loaded map gets.
type Unlisted int

const (
	// UnlistedRefuse (the default): Resolve answers ErrUnlisted.
	UnlistedRefuse Unlisted = iota
	// UnlistedIdentity: the customer_code is every id.
	UnlistedIdentity
)

// ErrUnlisted: a map is configured and does not list the customer.
var ErrUnlisted = errors.New("customer not in the customer map")

// Map is a loaded customer map. The nil *Map is the identity map.
type Map struct {
	entries  map[string]Entry
	unlisted Unlisted
}

// WithUnlisted returns m answering u for unlisted customers (the entries
// are shared, not copied). The nil identity map stays nil.
func (m *Map) WithUnlisted(u Unlisted) *Map {
	if m == nil {
		return nil
	}
	return &Map{entries: m.entries, unlisted: u}
}

// Each calls fn with every listed entry until fn fails.
func (m *Map) Each(fn func(Entry) error) error {
	if m == nil {
		return nil
	}
	for _, e := range m.entries {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// Sentinels for errors.Is on a *Error.
var (
	ErrHeader    = errors.New("header must begin with " + Header)
	ErrColumns   = errors.New("wrong number of cells")
	ErrEmptyCode = errors.New("empty customer_code")
	ErrDuplicate = errors.New("duplicate customer_code")
	ErrCSV       = errors.New("malformed CSV")
	ErrCell      = errors.New("bad cell")
)

// Error is a problem at a place in the file. Line and Column are 1-based;
// Column 0 means the whole line.
type Error struct {
	Path   string // file name, if loaded from a file
	Line   int
	Column int
	Err    error  // one of the sentinels
	Detail string // what was found
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("customer map")
	if e.Path != "" {
		b.WriteString(" " + e.Path)
	}
	fmt.Fprintf(&b, ": line %d", e.Line)
	if e.Column > 0 {
		fmt.Fprintf(&b, ", column %d", e.Column)
		if e.Column <= len(columns) {
			b.WriteString(" (" + columns[e.Column-1] + ")")
		} else if e.Err == ErrCell {
			b.WriteString(" (" + ColumnWDTPlatforms + ")")
		}
	}
	b.WriteString(": " + e.Err.Error())
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Load reads and validates the map at path. An empty path means no map:
// it returns the identity map (nil) and no error.
func Load(path string) (*Map, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("customer map: %w", err)
	}
	defer f.Close()
	m, err := Parse(f)
	var pe *Error
	if errors.As(err, &pe) {
		pe.Path = path
	}
	return m, err
}

// Parse reads and validates a map. Every problem is a *Error naming the
// line and column.
func Parse(r io.Reader) (*Map, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // counted here, to say which line is short
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err == io.EOF {
		return nil, &Error{Line: 1, Err: ErrHeader, Detail: "empty file"}
	}
	if err != nil {
		return nil, csvError(err)
	}
	cells := make([]string, len(header))
	for i, h := range header {
		cells[i] = strings.TrimSpace(h)
	}
	if len(cells) > 0 {
		cells[0] = strings.TrimSpace(strings.TrimPrefix(cells[0], "\ufeff"))
	}
	if len(cells) < len(columns) || strings.Join(cells[:len(columns)], ",") != Header {
		line, _ := cr.FieldPos(0)
		return nil, &Error{Line: line, Err: ErrHeader, Detail: fmt.Sprintf("got %q", strings.Join(cells, ","))}
	}
	platformCol := slices.Index(cells, ColumnWDTPlatforms)

	m := &Map{entries: map[string]Entry{}}
	firstLine := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(cells) {
			// Point at the first missing or first extra cell.
			col := min(len(rec), len(cells)) + 1
			return nil, &Error{Line: line, Column: col, Err: ErrColumns, Detail: fmt.Sprintf("%d cells, want %d", len(rec), len(cells))}
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		code := rec[0]
		if code == "" {
			return nil, &Error{Line: line, Column: 1, Err: ErrEmptyCode}
		}
		if first, dup := firstLine[code]; dup {
			return nil, &Error{Line: line, Column: 1, Err: ErrDuplicate, Detail: fmt.Sprintf("%q (first on line %d)", code, first)}
		}
		firstLine[code] = line
		e := Entry{
			CustomerCode:  code,
			OMSShopCode:   or(rec[1], code),
			OMSAccountID:  or(rec[2], code),
			JDYCustomerID: or(rec[3], code),
			WDTShopNo:     or(rec[4], code),
		}
		for _, c := range []int{2, 5} { // shop cells may hold several: none empty
			if v := rec[c-1]; v != "" && len(split(v)) != strings.Count(v, Sep)+1 {
				return nil, &Error{Line: line, Column: c, Err: ErrCell, Detail: fmt.Sprintf("%q has an empty code between '#'", v)}
			}
		}
		if platformCol >= 0 {
			e.WDTPlatforms = rec[platformCol]
			for _, p := range e.WDTPlatformCodes() {
				if strings.Trim(p, "0123456789") != "" {
					return nil, &Error{Line: line, Column: platformCol + 1, Err: ErrCell, Detail: fmt.Sprintf("platform %q is not a numeric subBillPlatform code", p)}
				}
			}
		}
		m.entries[code] = e
	}
	return m, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		// pe.Column counts characters, not cells: keep it in the detail.
		return &Error{Line: pe.Line, Err: ErrCSV, Detail: fmt.Sprintf("character %d: %v", pe.Column, pe.Err)}
	}
	return fmt.Errorf("customer map: %w", err)
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Lookup returns the ids of the customer code: those of the file, with
// the code itself for an empty cell or an unlisted customer, whatever the
// map's Unlisted. The worker uses Resolve.
func (m *Map) Lookup(code string) Entry {
	if m != nil {
		if e, ok := m.entries[code]; ok {
			return e
		}
	}
	return Entry{CustomerCode: code, OMSShopCode: code, OMSAccountID: code, JDYCustomerID: code, WDTShopNo: code}
}

// Resolve returns the ids of the customer code, or ErrUnlisted when the map
// is loaded, does not list the code and refuses unlisted customers.
func (m *Map) Resolve(code string) (Entry, error) {
	if m != nil && m.unlisted == UnlistedRefuse {
		if _, ok := m.entries[code]; !ok {
			return Entry{}, ErrUnlisted
		}
	}
	return m.Lookup(code), nil
}

// Len is the number of customers listed (0 for the identity map).
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return len(m.entries)
}
