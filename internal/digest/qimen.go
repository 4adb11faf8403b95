package digest

import (
	"crypto/md5"
	"encoding/hex"
	"sort"
	"strings"
)

// Qimen returns the 奇门 gateway sign (sign_method=md5):
// UPPER(hex(md5(secret + k1v1k2v2… + secret))) over the system and business
// parameters sorted by key, "sign" excluded. Callers send no empty parameter.
func Qimen(params map[string]string, secret string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(secret)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(params[k])
	}
	b.WriteString(secret)
	sum := md5.Sum([]byte(b.String()))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// HJY returns the 慧经营 hjySign: the business parameters except hjySign,
// sorted by key as "k:v" joined by "&", the hjy app key appended, every '"'
// and space removed, then lowercase hex md5. Arrays (shopNo) are passed as
// their JSON text.
func HJY(params map[string]string, appKey string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "hjySign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(params[k])
	}
	b.WriteString(appKey)
	s := strings.NewReplacer(`"`, "", " ", "").Replace(b.String())
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
