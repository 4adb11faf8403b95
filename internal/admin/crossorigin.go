package admin

import (
	"mime"
	"net/http"
	"strings"

	"github.com/rs/zerolog"
)

// CrossOrigin refuses cross-origin state-changing requests (anything but
// GET, HEAD, OPTIONS) to h with 403, using net/http.CrossOriginProtection: a
// browser that caches the admin token as Basic credentials would otherwise
// send it with a form another site posts here. A browser says where a
// request comes from (Sec-Fetch-Site, else Origin); requests without either
// (curl, ksfctl, Prometheus) are not browsers' and pass. admin.Server
// applies it to all of its routes — the API, the queue UI's API, the
// console, anything mounted later — so the whole admin listener has it.
func CrossOrigin(h http.Handler, log zerolog.Logger) http.Handler {
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Warn().Str("method", r.Method).Str("path", r.URL.Path).Str("origin", clipHeader(r.Header.Get("Origin"))).
			Str("sec_fetch_site", clipHeader(r.Header.Get("Sec-Fetch-Site"))).Int("status", http.StatusForbidden).
			Msg("cross-origin admin request refused")
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "cross-origin request refused: " +
			"state-changing admin requests must come from this listener's own pages, ksfctl or curl"})
	}))
	return p.Handler(h)
}

func clipHeader(s string) string {
	if len(s) > 100 {
		return s[:100]
	}
	return s
}

// notJSONWrite reports whether r is an admin API write that is not JSON: a
// browser can send text/plain, form or multipart bodies across sites
// without asking first, never application/json.
func notJSONWrite(r *http.Request) bool {
	if !strings.HasPrefix(r.URL.Path, APIPath+"/") {
		return false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	case http.MethodDelete:
		if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
			return false // DELETE /failed/{id} carries nothing
		}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err != nil || mt != "application/json"
}
