package digest

import (
	"crypto/md5"
	"encoding/hex"
	"sort"
	"strings"
)

// OMS returns the 商派 OMS sign: UPPER(md5(UPPER(md5(assemble)) + token)),
// where assemble concatenates key then value of every parameter but "sign",
// keys sorted as strings, with no separator.
func OMS(params map[string]string, token string) string {
	inner := md5.Sum([]byte(OMSAssemble(params)))
	outer := md5.Sum([]byte(strings.ToUpper(hex.EncodeToString(inner[:])) + token))
	return strings.ToUpper(hex.EncodeToString(outer[:]))
}

// OMSAssemble is the string OMS hashes (exported for tests and the fake).
func OMSAssemble(params map[string]string) string {
	var b strings.Builder
	for _, k := range sortedKeys(params, "sign") {
		b.WriteString(k)
		b.WriteString(params[k])
	}
	return b.String()
}

// sortedKeys are params' keys but the signature's own (skip), sorted as
// strings: the order every vendor's signature hashes them in.
func sortedKeys(params map[string]string, skip string) []string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != skip {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
