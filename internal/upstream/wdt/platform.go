package wdt

import (
	"fmt"
	"strings"
)

// Platform is a subBillPlatform code: which platform's bill a query reads.
type Platform string

// The 18 subBillPlatform codes of the spec, in the spec's order.
const (
	PlatformAlipay             Platform = "9999" // 支付宝账单
	PlatformJDGoods            Platform = "9903" // 京东商城货款账单
	PlatformJDWallet           Platform = "9803" // 京东钱包
	PlatformPDDGoods           Platform = "9939" // 拼多多货款账单
	PlatformPDDSubsidy         Platform = "9839" // 拼多多百亿补贴
	PlatformPDDSubsidyOrders   Platform = "9739" // 百亿补贴订单明细
	PlatformDouyinFunds        Platform = "9969" // 抖店资金流水明细
	PlatformWeChatChannels     Platform = "9983" // 微信视频号资金流水
	PlatformKuaishouGoods      Platform = "9975" // 快手小店货款账单
	PlatformKuaishouPostSale   Platform = "9875" // 快手超售后期账单
	PlatformKuaishouWallet     Platform = "9775" // 快手安心钱包
	PlatformXiaohongshuOrders  Platform = "9956" // 小红书订单货款
	PlatformXiaohongshuService Platform = "9856" // 小红书其他服务款
	PlatformXiaohongshuAdjust  Platform = "9756" // 小红书人工调账
	PlatformYoupinSettlement   Platform = "9972" // 小米有品货款结算单
	PlatformYoupinFreight      Platform = "9872" // 小米有品运费免邮表
	PlatformYoupinFees         Platform = "9772" // 小米有品手续费明细
	PlatformYoupinPenalties    Platform = "9672" // 小米有品奖惩罚金
)

var platforms = []struct {
	p    Platform
	name string
}{
	{PlatformAlipay, "支付宝账单"},
	{PlatformJDGoods, "京东商城货款账单"},
	{PlatformJDWallet, "京东钱包"},
	{PlatformPDDGoods, "拼多多货款账单"},
	{PlatformPDDSubsidy, "拼多多百亿补贴"},
	{PlatformPDDSubsidyOrders, "百亿补贴订单明细"},
	{PlatformDouyinFunds, "抖店资金流水明细"},
	{PlatformWeChatChannels, "微信视频号资金流水"},
	{PlatformKuaishouGoods, "快手小店货款账单"},
	{PlatformKuaishouPostSale, "快手超售后期账单"},
	{PlatformKuaishouWallet, "快手安心钱包"},
	{PlatformXiaohongshuOrders, "小红书订单货款"},
	{PlatformXiaohongshuService, "小红书其他服务款"},
	{PlatformXiaohongshuAdjust, "小红书人工调账"},
	{PlatformYoupinSettlement, "小米有品货款结算单"},
	{PlatformYoupinFreight, "小米有品运费免邮表"},
	{PlatformYoupinFees, "小米有品手续费明细"},
	{PlatformYoupinPenalties, "小米有品奖惩罚金"},
}

var platformNames = func() map[Platform]string {
	m := make(map[Platform]string, len(platforms))
	for _, p := range platforms {
		m[p.p] = p.name
	}
	return m
}()

// Name is the spec's Chinese name of the platform ("支付宝账单"), or "" for
// a code the spec does not list.
func (p Platform) Name() string { return platformNames[p] }

// Valid reports whether p is one of the spec's codes.
func (p Platform) Valid() bool { _, ok := platformNames[p]; return ok }

// String is the code followed by its name, for logs: "9999 支付宝账单".
func (p Platform) String() string {
	if n := p.Name(); n != "" {
		return string(p) + " " + n
	}
	return string(p)
}

// AllPlatforms returns every code of the spec in the spec's order (a new
// slice each time, so callers may keep and change it).
func AllPlatforms() []Platform {
	out := make([]Platform, len(platforms))
	for i, p := range platforms {
		out[i] = p.p
	}
	return out
}

// ParsePlatforms reads KSF_WDT_PLATFORMS: comma-separated codes, blanks and
// duplicates ignored, order kept. An empty value means every platform. An
// unknown code is an error naming it.
func ParsePlatforms(s string) ([]Platform, error) {
	var out []Platform
	seen := map[Platform]bool{}
	for _, f := range strings.Split(s, ",") {
		p := Platform(strings.TrimSpace(f))
		if p == "" || seen[p] {
			continue
		}
		if !p.Valid() {
			return nil, fmt.Errorf("wdt: unknown subBillPlatform code %q (known: %s)", string(p), knownCodes())
		}
		seen[p] = true
		out = append(out, p)
	}
	if len(out) == 0 {
		return AllPlatforms(), nil
	}
	return out, nil
}

func knownCodes() string {
	codes := make([]string, len(platforms))
	for i, p := range platforms {
		codes[i] = string(p.p)
	}
	return strings.Join(codes, ",")
}

// QueryType is the request's `type`: which date the period filters on.
type QueryType int

const (
	// ByBusinessDate (type 1) filters on the business date; startDate and
	// endDate are sent as yyyy-MM-dd. The zero QueryType means this.
	ByBusinessDate QueryType = 1
	// ByCreateTime (type 2) filters on the record's creation time; startDate
	// and endDate are sent as yyyy-MM-dd HH:mm:ss.
	ByCreateTime QueryType = 2
)

// Layout is the date layout the type requires, or "" for an unknown type.
func (t QueryType) Layout() string {
	switch t {
	case ByBusinessDate:
		return dateLayout
	case ByCreateTime:
		return dateTimeLayout
	}
	return ""
}

const (
	dateLayout     = "2006-01-02"
	dateTimeLayout = "2006-01-02 15:04:05"
)
