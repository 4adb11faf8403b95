package jdy

// SetAppSignature replaces the app_signature a Client sends: the FACTS
// vector gives an app_signature whose app secret is not published.
func SetAppSignature(c *Client, s string) { c.appSignature = s }
