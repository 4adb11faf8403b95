package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// ReplayTask replays one failed job by task id, as POST /admin/api/replay
// with {"task_ids": [id]} does (the console's replay button). It answers
// what was done, in the words of the replay answer (run, reenqueue, skip).
func (s *Server) ReplayTask(ctx context.Context, id string) (action, note string, err error) {
	plan, errs, err := s.planIDs(ctx, []string{id})
	if err != nil {
		return "", "", err
	}
	if len(plan) == 0 {
		return "", "", errorf(http.StatusNotFound, "nothing to replay: %v", errs)
	}
	a := &plan[0]
	if a.Action == viaSkip {
		return a.Action, a.Note, nil
	}
	if err := s.execute(ctx, a); err != nil {
		return "", "", fmt.Errorf("replay %s: %w", id, err)
	}
	s.cfg.Logger.Info().Str("task_id", id).Str("action", a.Action).Msg("admin: replay from the console")
	return a.Action, a.NewTaskID, nil
}

// TaskState is a task's state in asynq ("archived", "retry", "pending", …),
// "dropped" when only the failure record remains, "" when neither knows it.
func (s *Server) TaskState(ctx context.Context, id string) string {
	info, rec, err := s.find(ctx, id)
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		return ""
	case info != nil:
		return info.State.String()
	case rec != nil && rec.Replayed():
		return StateReplayed
	case rec != nil:
		return StateDropped
	}
	return ""
}

// PublicError is the message a caller may see for err (the admin API's
// mapping of errors to answers), and its HTTP status.
func PublicError(err error) (int, string) { return status(err) }
