package digest

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
)

// Qimen returns the 奇门 gateway sign (sign_method=md5):
// UPPER(hex(md5(secret + k1v1k2v2… + secret))) over the system and business
// parameters sorted by key, "sign" excluded. Callers send no empty parameter.
func Qimen(params map[string]string, secret string) string {
	var b strings.Builder
	b.WriteString(secret)
	for _, k := range sortedKeys(params, "sign") {
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
	var b strings.Builder
	for i, k := range sortedKeys(params, "hjySign") {
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
