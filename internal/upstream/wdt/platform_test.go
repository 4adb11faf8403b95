package wdt_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ksfsync/ksfsync/internal/upstream/wdt"
)

func TestPlatformsMatchTheSpec(t *testing.T) {
	t.Parallel()
	// The spec's list, verbatim.
	spec := `9999 - 支付宝账单
9903 - 京东商城货款账单
9803 - 京东钱包
9939 - 拼多多货款账单
9839 - 拼多多百亿补贴
9739 - 百亿补贴订单明细
9969 - 抖店资金流水明细
9983 - 微信视频号资金流水
9975 - 快手小店货款账单
9875 - 快手超售后期账单
9775 - 快手安心钱包
9956 - 小红书订单货款
9856 - 小红书其他服务款
9756 - 小红书人工调账
9972 - 小米有品货款结算单
9872 - 小米有品运费免邮表
9772 - 小米有品手续费明细
9672 - 小米有品奖惩罚金`
	all := wdt.AllPlatforms()
	lines := strings.Split(spec, "\n")
	if len(all) != 18 || len(lines) != 18 {
		t.Fatalf("%d platforms, %d spec lines", len(all), len(lines))
	}
	for i, line := range lines {
		code, name, _ := strings.Cut(line, " - ")
		if string(all[i]) != code || all[i].Name() != name || !all[i].Valid() {
			t.Errorf("platform %d = %s %q, spec says %s %q", i, all[i], all[i].Name(), code, name)
		}
	}
	all[0] = "changed"
	if wdt.AllPlatforms()[0] != wdt.PlatformAlipay {
		t.Fatal("AllPlatforms shares its slice")
	}
	if wdt.Platform("1234").Valid() || wdt.Platform("1234").Name() != "" || wdt.Platform("1234").String() != "1234" {
		t.Fatal("unknown code accepted")
	}
	if s := wdt.PlatformAlipay.String(); s != "9999 支付宝账单" {
		t.Fatalf("String = %q", s)
	}
	if wdt.PlatformDouyinFunds != "9969" || wdt.PlatformYoupinPenalties != "9672" || wdt.PlatformWeChatChannels != "9983" {
		t.Fatal("constant mismatch")
	}
}

func TestParsePlatforms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []wdt.Platform
		wantErr string
	}{
		{"", wdt.AllPlatforms(), ""},
		{" , ", wdt.AllPlatforms(), ""},
		{"9969", []wdt.Platform{"9969"}, ""},
		{" 9969 ,9999,9969,", []wdt.Platform{"9969", "9999"}, ""},
		{"9969,1234", nil, `"1234"`},
		{"支付宝账单", nil, `"支付宝账单"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := wdt.ParsePlatforms(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParsePlatforms(%q) = %v, %v", tt.in, got, err)
			}
		})
	}
}

func TestQueryTypeLayout(t *testing.T) {
	t.Parallel()
	if wdt.ByBusinessDate.Layout() != "2006-01-02" || wdt.ByCreateTime.Layout() != "2006-01-02 15:04:05" || wdt.QueryType(0).Layout() != "" {
		t.Fatal("layouts")
	}
}
