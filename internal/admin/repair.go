package admin

import (
	"context"
	"net/http"

	"github.com/redis/go-redis/v9"
)

// asynq's key layout (github.com/hibiken/asynq/internal/base, stable since
// v0.18): per queue, task hashes under asynq:{q}:t:<id>, and the ids of each
// state in a list (pending, active) or a sorted set (the others).
func asynqKey(queue, suffix string) string { return "asynq:{" + queue + "}:" + suffix }

var stateKeys = []struct {
	suffix string
	list   bool
}{
	{"pending", true}, {"active", true}, {"scheduled", false}, {"retry", false},
	{"archived", false}, {"completed", false}, {"lease", false},
}

// danglingEntry is a task id a state holds whose task data is gone.
type danglingEntry struct {
	Queue  string `json:"queue"`
	State  string `json:"state"`
	TaskID string `json:"task_id"`
}

type repairResult struct {
	DryRun   bool            `json:"dry_run"`
	Dangling []danglingEntry `json:"dangling"`
	Removed  int             `json:"removed"`
}

// POST /admin/api/repair: find (and unless dry_run, remove) task ids whose
// task hash is gone. Such ids break asynq's queue statistics script
// ("attempt to perform arithmetic on local 'bytes' (a boolean value)"), and
// with it the queue UI's queue list and asynq_* metrics. They appear when
// asynq keys are deleted by hand or evicted (maxmemory-policy other than
// noeviction).
func (s *Server) repair(w http.ResponseWriter, r *http.Request) {
	var req struct {
		DryRun bool `json:"dry_run"`
	}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	qs, err := s.inspector.Queues()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := repairResult{DryRun: req.DryRun, Dangling: []danglingEntry{}}
	for _, q := range qs {
		found, err := s.dangling(r.Context(), q)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		res.Dangling = append(res.Dangling, found...)
	}
	if !req.DryRun && len(res.Dangling) > 0 {
		_, err := s.cfg.Redis.Pipelined(r.Context(), func(p redis.Pipeliner) error {
			for _, d := range res.Dangling {
				key := asynqKey(d.Queue, d.State)
				if d.State == "pending" || d.State == "active" {
					p.LRem(r.Context(), key, 0, d.TaskID)
				} else {
					p.ZRem(r.Context(), key, d.TaskID)
				}
			}
			return nil
		})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		res.Removed = len(res.Dangling)
		s.cfg.Logger.Warn().Int("removed", res.Removed).Interface("dangling", res.Dangling).Msg("admin: dangling asynq task ids removed")
	}
	writeJSON(w, http.StatusOK, res)
}

// dangling lists the ids of queue q whose task hash does not exist.
func (s *Server) dangling(ctx context.Context, q string) ([]danglingEntry, error) {
	var out []danglingEntry
	for _, st := range stateKeys {
		key := asynqKey(q, st.suffix)
		for start := int64(0); ; start += listPageSize {
			var ids []string
			var err error
			if st.list {
				ids, err = s.cfg.Redis.LRange(ctx, key, start, start+listPageSize-1).Result()
			} else {
				ids, err = s.cfg.Redis.ZRange(ctx, key, start, start+listPageSize-1).Result()
			}
			if err != nil {
				return nil, err
			}
			if len(ids) == 0 {
				break
			}
			cmds := make([]*redis.IntCmd, len(ids))
			_, err = s.cfg.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i, id := range ids {
					cmds[i] = p.Exists(ctx, asynqKey(q, "t:"+id))
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			for i, c := range cmds {
				if c.Val() == 0 {
					out = append(out, danglingEntry{Queue: q, State: st.suffix, TaskID: ids[i]})
				}
			}
			if len(ids) < listPageSize {
				break
			}
		}
	}
	return out, nil
}
