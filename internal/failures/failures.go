// Package failures keeps a durable record of every ksfsync job that ended
// failed, in Redis beside asynq's own keys.
//
// asynq keeps an archived task for at most 90 days and 10,000 tasks per
// queue, and drops older ones without a word. Operators must be able to find
// and replay every failure, so the worker records each job that fails for
// good (ErrorHandler, plus Capture for tasks archived by asynq's recoverer),
// and the admin API lists these records beside asynq's tasks and re-enqueues
// from their payload once asynq has dropped the task.
//
// Keys (all under one Redis Cluster hash tag, so MGET and transactions work
// on a cluster; nothing under asynq's "asynq:" prefix):
//
//	ksf:failures:{v1}:index        ZSET  task id → FailedAt (ms)
//	ksf:failures:{v1}:rec:<taskID> STRING the Record as JSON, with a TTL of the retention
//
// Growth is bounded: records older than Options.Retention (default 180 days)
// expire, and beyond Options.MaxRecords (default 100,000) the oldest are
// trimmed on write.
package failures

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of Options.
const (
	DefaultRetention  = 180 * 24 * time.Hour
	DefaultMaxRecords = 100_000
	DefaultPageSize   = 50
	MaxPageSize       = 1000
	// KeyPrefix starts every key of the store.
	KeyPrefix = "ksf:failures:"
)

const (
	keyIndex  = KeyPrefix + "{v1}:index"
	keyRecord = KeyPrefix + "{v1}:rec:"
	scanBatch = 500
	txRetries = 20
)

// ErrNotFound: no record for the task id.
var ErrNotFound = errors.New("no failure record for this task id")

// Record is one job that ended failed.
type Record struct {
	TaskID       string `json:"task_id"`
	Kind         string `json:"kind"`
	Queue        string `json:"queue"`
	TenantID     string `json:"tenant_id,omitempty"`
	MsgID        string `json:"msg_id,omitempty"`
	DataType     string `json:"data_type,omitempty"`
	CustomerCode string `json:"customer_code,omitempty"` // a push's codes are joined with ","
	StartDate    string `json:"start_date,omitempty"`
	EndDate      string `json:"end_date,omitempty"`
	// Payload is the task payload, to re-enqueue from once asynq dropped it.
	Payload     []byte     `json:"payload,omitempty"`
	LastError   string     `json:"last_error"`
	Retried     int        `json:"retried"`
	MaxRetry    int        `json:"max_retry"`
	FailedAt    time.Time  `json:"failed_at"`
	ReplayedAt  *time.Time `json:"replayed_at,omitempty"`
	ReplayCount int        `json:"replay_count"`
}

// Replayed reports whether the record was replayed after its last failure.
func (r Record) Replayed() bool {
	return r.ReplayedAt != nil && !r.ReplayedAt.Before(r.FailedAt)
}

// Customers returns the record's customer codes (several for a push).
func (r Record) Customers() []string {
	if r.CustomerCode == "" {
		return nil
	}
	return strings.Split(r.CustomerCode, ",")
}

// Options tune a Store. The zero value uses the defaults.
type Options struct {
	Retention  time.Duration    // records older than this expire; default 180 days
	MaxRecords int              // the oldest beyond this are trimmed on write; default 100,000
	Now        func() time.Time // default time.Now
}

// Store is the durable failure record. It is safe for concurrent use, also
// by several processes sharing one Redis.
type Store struct {
	rdb  redis.UniversalClient
	opts Options
}

// New returns a Store on rdb.
func New(rdb redis.UniversalClient, opts Options) *Store {
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.MaxRecords <= 0 {
		opts.MaxRecords = DefaultMaxRecords
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Store{rdb: rdb, opts: opts}
}

func recordKey(taskID string) string { return keyRecord + taskID }

// Record stores r, or updates the record of the same TaskID (a task that
// failed again after a replay). A record older than the one stored (a late
// Capture of what the ErrorHandler already wrote) changes nothing. The replay
// history of an existing record is kept.
func (s *Store) Record(ctx context.Context, r Record) error {
	if r.TaskID == "" {
		return errors.New("failure record without task id")
	}
	if r.FailedAt.IsZero() {
		r.FailedAt = s.opts.Now()
	}
	key := recordKey(r.TaskID)
	err := s.update(ctx, key, func(old *Record) (*Record, error) {
		if old != nil {
			// asynq keeps LastFailedAt in whole seconds.
			if r.FailedAt.Before(old.FailedAt.Truncate(time.Second)) {
				return nil, nil
			}
			if r.FailedAt.Before(old.FailedAt) {
				r.FailedAt = old.FailedAt
			}
			r.ReplayedAt, r.ReplayCount = old.ReplayedAt, old.ReplayCount
			if len(r.Payload) == 0 {
				r.Payload = old.Payload
			}
		}
		return &r, nil
	})
	if err != nil {
		return err
	}
	return s.trim(ctx)
}

// MarkReplayed notes that the task was replayed at `at` and returns the
// updated record.
func (s *Store) MarkReplayed(ctx context.Context, taskID string, at time.Time) (Record, error) {
	var out Record
	err := s.update(ctx, recordKey(taskID), func(old *Record) (*Record, error) {
		if old == nil {
			return nil, ErrNotFound
		}
		at := at
		old.ReplayedAt = &at
		old.ReplayCount++
		out = *old
		return old, nil
	})
	return out, err
}

// update runs fn on the stored record (nil if none) in an optimistic
// transaction and stores what it returns (nothing if nil).
func (s *Store) update(ctx context.Context, key string, fn func(old *Record) (*Record, error)) error {
	for range txRetries {
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			var old *Record
			b, err := tx.Get(ctx, key).Bytes()
			switch {
			case errors.Is(err, redis.Nil):
			case err != nil:
				return err
			default:
				old = new(Record)
				if err := json.Unmarshal(b, old); err != nil {
					return fmt.Errorf("decode failure record %s: %w", key, err)
				}
			}
			rec, err := fn(old)
			if err != nil || rec == nil {
				return err
			}
			enc, err := json.Marshal(rec)
			if err != nil {
				return fmt.Errorf("encode failure record: %w", err)
			}
			ttl := rec.FailedAt.Add(s.opts.Retention).Sub(s.opts.Now())
			if ttl < time.Second {
				ttl = time.Second
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, key, enc, ttl)
				p.ZAdd(ctx, keyIndex, redis.Z{Score: float64(rec.FailedAt.UnixMilli()), Member: rec.TaskID})
				return nil
			})
			return err
		}, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue // the same task recorded concurrently: read it again
		}
		if err != nil {
			return fmt.Errorf("failure record: %w", err)
		}
		return nil
	}
	return fmt.Errorf("failure record %s: too much contention", key)
}

// trim drops index entries past the retention and the oldest beyond
// MaxRecords. Record keys expire by themselves.
func (s *Store) trim(ctx context.Context) error {
	cutoff := s.opts.Now().Add(-s.opts.Retention).UnixMilli()
	old, err := s.rdb.ZRangeByScore(ctx, keyIndex, &redis.ZRangeBy{
		Min: "-inf", Max: fmt.Sprint(cutoff), Count: scanBatch}).Result()
	if err != nil {
		return fmt.Errorf("trim failure records: %w", err)
	}
	n, err := s.rdb.ZCard(ctx, keyIndex).Result()
	if err != nil {
		return fmt.Errorf("trim failure records: %w", err)
	}
	if excess := n - int64(len(old)) - int64(s.opts.MaxRecords); excess > 0 {
		more, err := s.rdb.ZRange(ctx, keyIndex, int64(len(old)), int64(len(old))+min(excess, scanBatch)-1).Result()
		if err != nil {
			return fmt.Errorf("trim failure records: %w", err)
		}
		old = append(old, more...)
	}
	if len(old) == 0 {
		return nil
	}
	return s.remove(ctx, old...)
}

func (s *Store) remove(ctx context.Context, ids ...string) error {
	keys := make([]string, len(ids))
	members := make([]any, len(ids))
	for i, id := range ids {
		keys[i], members[i] = recordKey(id), id
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, keys...)
		p.ZRem(ctx, keyIndex, members...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove failure records: %w", err)
	}
	return nil
}

// Get returns the record of taskID, or ErrNotFound.
func (s *Store) Get(ctx context.Context, taskID string) (Record, error) {
	b, err := s.rdb.Get(ctx, recordKey(taskID)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Record{}, ErrNotFound
	}
	if err != nil {
		return Record{}, fmt.Errorf("get failure record: %w", err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return Record{}, fmt.Errorf("decode failure record %s: %w", taskID, err)
	}
	return r, nil
}

// Delete removes the record of taskID, or answers ErrNotFound.
func (s *Store) Delete(ctx context.Context, taskID string) error {
	n, err := s.rdb.Exists(ctx, recordKey(taskID)).Result()
	if err != nil {
		return fmt.Errorf("delete failure record: %w", err)
	}
	if err := s.remove(ctx, taskID); err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Page selects a page of a listing: Number from 1, Size up to MaxPageSize
// (zero values: page 1 of DefaultPageSize).
type Page struct {
	Number int
	Size   int
}

// Normalize applies the defaults and limits.
func (p Page) Normalize() Page {
	if p.Number < 1 {
		p.Number = 1
	}
	if p.Size < 1 {
		p.Size = DefaultPageSize
	}
	if p.Size > MaxPageSize {
		p.Size = MaxPageSize
	}
	return p
}

// Offset is the index of the page's first item.
func (p Page) Offset() int { p = p.Normalize(); return (p.Number - 1) * p.Size }

// List returns the page of records matching f, newest failure first, and
// how many match in all. It reads every record (bounded by MaxRecords).
func (s *Store) List(ctx context.Context, f Filter, p Page) ([]Record, int, error) {
	p = p.Normalize()
	var out []Record
	total := 0
	err := s.Scan(ctx, f, func(r Record) error {
		if total >= p.Offset() && len(out) < p.Size {
			out = append(out, r)
		}
		total++
		return nil
	})
	return out, total, err
}

// Scan calls fn with every record matching f, newest failure first. An error
// from fn stops the scan and is returned.
func (s *Store) Scan(ctx context.Context, f Filter, fn func(Record) error) error {
	f, err := f.Normalize()
	if err != nil {
		return err
	}
	for start := int64(0); ; start += scanBatch {
		ids, err := s.rdb.ZRevRange(ctx, keyIndex, start, start+scanBatch-1).Result()
		if err != nil {
			return fmt.Errorf("list failure records: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		keys := make([]string, len(ids))
		for i, id := range ids {
			keys[i] = recordKey(id)
		}
		vals, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return fmt.Errorf("list failure records: %w", err)
		}
		for i, v := range vals {
			str, ok := v.(string)
			if !ok {
				continue // expired since the index was read; trimmed on a later write
			}
			var r Record
			if err := json.Unmarshal([]byte(str), &r); err != nil {
				return fmt.Errorf("decode failure record %s: %w", ids[i], err)
			}
			if !f.Match(r) {
				continue
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(ids) < scanBatch {
			return nil
		}
	}
}
