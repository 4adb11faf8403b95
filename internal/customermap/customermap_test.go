package customermap_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksfsync/ksfsync/internal/customermap"
)

const header = "customer_code,oms_shop_code,oms_account_id,jdy_customer_id,wdt_shop_no\n"

func identity(code string) customermap.Entry {
	return customermap.Entry{CustomerCode: code, OMSShopCode: code, OMSAccountID: code, JDYCustomerID: code, WDTShopNo: code}
}

func TestLoadRealFile(t *testing.T) {
	t.Parallel()
	m, err := customermap.Load("testdata/customers.csv")
	if err != nil {
		t.Fatal(err)
	}
	if m.Len() != 4 {
		t.Fatalf("Len = %d, want 4", m.Len())
	}
	tests := []struct {
		code string
		want customermap.Entry
	}{
		{"C001", customermap.Entry{"C001", "SHOP-BJ-01", "ACC-10001", "1188427222868837376", "WDT-BJ-01", ""}},
		{"C002", customermap.Entry{"C002", "SHOP-SH-02", "C002", "1188427222868837377", "C002", ""}},
		{"C 003", identity("C 003")},
		{"C004", customermap.Entry{"C004", "SHOP-GZ-04", "ACC-10004", "C004", "WDT-GZ-04", ""}},
		{"C999", identity("C999")},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			if got := m.Lookup(tt.code); got != tt.want {
				t.Fatalf("Lookup(%q) = %+v, want %+v", tt.code, got, tt.want)
			}
		})
	}
}

func TestIdentity(t *testing.T) {
	t.Parallel()
	m, err := customermap.Load("")
	if err != nil || m != nil {
		t.Fatalf("Load(\"\") = %v, %v; want the nil identity map", m, err)
	}
	if got := m.Lookup("c1"); got != identity("c1") {
		t.Fatalf("nil map Lookup = %+v", got)
	}
	if m.Len() != 0 {
		t.Fatal("nil map Len != 0")
	}
	empty, err := customermap.Parse(strings.NewReader(header))
	if err != nil || empty.Len() != 0 || empty.Lookup("x") != identity("x") {
		t.Fatalf("header-only map: %v %v", empty, err)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want error
		line int
		col  int
		msg  string
	}{
		{"empty file", "", customermap.ErrHeader, 1, 0, "line 1: header"},
		{"wrong header", "code,shop\nc1,s1\n", customermap.ErrHeader, 1, 0, `got "code,shop"`},
		{"reordered header", "customer_code,oms_account_id,oms_shop_code,jdy_customer_id,wdt_shop_no\n", customermap.ErrHeader, 1, 0, "header must begin with"},
		{"short header", "customer_code,oms_shop_code,oms_account_id\n", customermap.ErrHeader, 1, 0, "header must begin with"},
		{"empty shop between #", header + "c1,S1##S2,a1,j1,w1\n", customermap.ErrCell, 2, 2, "empty code"},
		{"bad platform", strings.TrimSuffix(header, "\n") + ",wdt_platforms\nc1,s1,a1,j1,w1,9969#alipay\n", customermap.ErrCell, 2, 6, "alipay"},
		{"uppercase header", strings.ToUpper(header), customermap.ErrHeader, 1, 0, "CUSTOMER_CODE"},
		{"short line", header + "c1,s1,a1,j1,w1\nc2,s2\n", customermap.ErrColumns, 3, 3, "line 3, column 3 (oms_account_id): wrong number of cells: 2 cells, want 5"},
		{"long line", header + "c1,s1,a1,j1,w1,x\n", customermap.ErrColumns, 2, 6, "line 2, column 6: wrong number"},
		{"empty code", header + "c1,,,,\n ,s2,,,\n", customermap.ErrEmptyCode, 3, 1, "line 3, column 1 (customer_code): empty customer_code"},
		{"duplicate code", header + "c1,,,,\nc2,,,,\n c1 ,s,,,\n", customermap.ErrDuplicate, 4, 1, `duplicate customer_code: "c1" (first on line 2)`},
		{"bad quote", header + "c1,s\"1,,,\n", customermap.ErrCSV, 2, 0, "line 2: malformed CSV: character"},
		{"unterminated quote", header + "c1,\"s1,,,\n", customermap.ErrCSV, 2, 0, "malformed CSV"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := customermap.Parse(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("parsed %d entries, want an error", m.Len())
			}
			var pe *customermap.Error
			if !errors.As(err, &pe) || !errors.Is(err, tt.want) {
				t.Fatalf("err = %v (%T), want %v", err, err, tt.want)
			}
			if pe.Line != tt.line || pe.Column != tt.col {
				t.Errorf("at line %d column %d, want %d %d", pe.Line, pe.Column, tt.line, tt.col)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q lacks %q", err, tt.msg)
			}
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "map.csv")
	if err := os.WriteFile(path, []byte(header+"c1,,,,\nc1,,,,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := customermap.Load(path)
	if err == nil || !strings.Contains(err.Error(), path+": line 3, column 1") {
		t.Fatalf("err = %v", err)
	}
	if _, err := customermap.Load(filepath.Join(t.TempDir(), "missing.csv")); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Fatalf("missing file: %v", err)
	}
}

func Example() {
	m, err := customermap.Parse(strings.NewReader(
		"customer_code,oms_shop_code,oms_account_id,jdy_customer_id,wdt_shop_no\n" +
			"C001,SHOP-BJ-01,ACC-10001,1188427222868837376,\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	e := m.Lookup("C001")
	fmt.Println(e.OMSShopCode, e.OMSAccountID, e.JDYCustomerID, e.WDTShopNo)
	fmt.Println(m.Lookup("C002").JDYCustomerID) // unlisted: the code itself

	_, err = customermap.Parse(strings.NewReader(
		"customer_code,oms_shop_code,oms_account_id,jdy_customer_id,wdt_shop_no\nC001,,,,\nC001,,,,\n"))
	fmt.Println(err)
	// Output:
	// SHOP-BJ-01 ACC-10001 1188427222868837376 C001
	// C002
	// customer map: line 3, column 1 (customer_code): duplicate customer_code: "C001" (first on line 2)
}

// TestUnlistedRefusedByDefault: a loaded map refuses a customer it does not
// list unless told to use identity; the identity map (no file) never
// refuses (issue 10, item 4).
func TestUnlistedRefusedByDefault(t *testing.T) {
	t.Parallel()
	m, err := customermap.Load("testdata/customers.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Resolve("C999"); !errors.Is(err, customermap.ErrUnlisted) {
		t.Fatalf("Resolve(C999) = %v, want ErrUnlisted", err)
	}
	if e, err := m.Resolve("C001"); err != nil || e.OMSShopCode != "SHOP-BJ-01" {
		t.Fatalf("Resolve(C001) = %+v, %v", e, err)
	}
	if e, err := m.WithUnlisted(customermap.UnlistedIdentity).Resolve("C999"); err != nil || e != identity("C999") {
		t.Fatalf("identity Resolve = %+v, %v", e, err)
	}
	var none *customermap.Map
	if e, err := none.WithUnlisted(customermap.UnlistedRefuse).Resolve("C999"); err != nil || e != identity("C999") {
		t.Fatalf("no map: %+v, %v", e, err)
	}
}

// TestSeveralShopsAndPlatforms: '#' joins several shops; the optional
// wdt_platforms column lists a customer's platforms; other extra columns
// are ignored (issue 10, item 5).
func TestSeveralShopsAndPlatforms(t *testing.T) {
	t.Parallel()
	m, err := customermap.Parse(strings.NewReader(header[:len(header)-1] + ",note,wdt_platforms\n" +
		"c1,S1#S2,a1,,W1#W2,大客户,9969#9999\nc2,,,,,,\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := m.Lookup("c1")
	if strings.Join(e.OMSShopCodes(), ",") != "S1,S2" || strings.Join(e.WDTShopNos(), ",") != "W1,W2" ||
		strings.Join(e.WDTPlatformCodes(), ",") != "9969,9999" {
		t.Fatalf("c1 = %+v", e)
	}
	if e := m.Lookup("c2"); len(e.WDTPlatformCodes()) != 0 || strings.Join(e.OMSShopCodes(), ",") != "c2" {
		t.Fatalf("c2 = %+v", e)
	}
}
