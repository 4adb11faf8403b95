package digest

import (
	"crypto/md5"
	"encoding/hex"
)

// Waiqin returns the 勤策 openapi digest: lowercase hex md5(body|appkey|timestamp)
// over the exact body bytes sent; timestamp is yyyyMMddHHmmss (Asia/Shanghai).
func Waiqin(body []byte, appkey, timestamp string) string {
	h := md5.New()
	h.Write(body)
	h.Write([]byte{'|'})
	h.Write([]byte(appkey))
	h.Write([]byte{'|'})
	h.Write([]byte(timestamp))
	return hex.EncodeToString(h.Sum(nil))
}
