package digest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// JDYStringToSign builds the 金蝶精斗云 v2 string to sign: METHOD, the encoded
// path, the sorted query with each value encoded twice, the nonce line and
// the timestamp line, each ending in "\n".
func JDYStringToSign(method, path string, query url.Values, nonce, timestamp string) string {
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, 0, len(keys))
	for _, k := range keys {
		v := query.Get(k)
		pairs = append(pairs, k+"="+rfc3986(rfc3986(v)))
	}
	var b strings.Builder
	b.WriteString(strings.ToUpper(method))
	b.WriteByte('\n')
	b.WriteString(rfc3986(path))
	b.WriteByte('\n')
	b.WriteString(strings.Join(pairs, "&"))
	b.WriteByte('\n')
	b.WriteString("x-api-nonce:" + nonce + "\n")
	b.WriteString("x-api-timestamp:" + timestamp + "\n")
	return b.String()
}

// JDY returns X-Api-Signature: base64 of the lowercase hex text of
// HMAC-SHA256(clientSecret, stringToSign).
func JDY(clientSecret, stringToSign string) string {
	return hmacHexBase64(clientSecret, stringToSign)
}

// JDYAppSignature returns app_signature for kingdee_auth_token:
// base64(lowercase_hex(HMAC-SHA256(appSecret, appKey))).
func JDYAppSignature(appKey, appSecret string) string {
	return hmacHexBase64(appSecret, appKey)
}

func hmacHexBase64(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(m.Sum(nil))))
}

// rfc3986 percent-encodes everything but the unreserved characters, so a
// space becomes %20 and "/" becomes %2F.
func rfc3986(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
