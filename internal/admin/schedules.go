package admin

import (
	"context"
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/ksfsync/ksfsync/internal/schedule"
)

// Schedules is the scheduler as the admin API uses it (*schedule.Scheduler).
type Schedules interface {
	List(ctx context.Context) ([]schedule.Status, error)
	RunNow(ctx context.Context, tenant, name string) (schedule.Result, error)
}

// GET /admin/api/schedules: every schedule, its next run and its latest run.
func (s *Server) listSchedules(w http.ResponseWriter, r *http.Request) {
	items := []schedule.Status{}
	if s.cfg.Schedules != nil {
		var err error
		if items, err = s.cfg.Schedules.List(r.Context()); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": len(items)})
}

// POST /admin/api/schedules/{name}/run[?tenant=T]: queue a run now.
func (s *Server) runSchedule(w http.ResponseWriter, r *http.Request) {
	name, tenant := chi.URLParam(r, "name"), r.URL.Query().Get("tenant")
	if s.cfg.Schedules == nil {
		s.fail(w, r, errorf(http.StatusNotFound, "no schedules are configured (see docs/schedules.md)"))
		return
	}
	res, err := s.cfg.Schedules.RunNow(r.Context(), tenant, name)
	if errors.Is(err, schedule.ErrUnknownSchedule) {
		s.fail(w, r, errorf(http.StatusNotFound, "%v: GET %s/schedules lists them", err, APIPath))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.Logger.Info().Str("tenant", res.Tenant).Str("schedule", res.Schedule).Str("run_id", res.RunID).
		Strs("queued", res.Queued).Str("remote", r.RemoteAddr).Msg("admin: scheduled run started by hand")
	writeJSON(w, http.StatusOK, res)
}
