package tasks

import (
	"context"
	"slices"
	"testing"
)

func TestSyncQueue(t *testing.T) {
	t.Parallel()
	codes := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "c" + string(rune('a'+i))
		}
		return out
	}
	tests := []struct {
		name   string
		origin string
		codes  int
		max    int
		want   string
	}{
		{"one customer pushed", OriginPush, 1, 20, QueueInteractive},
		{"at the limit", OriginPush, 20, 20, QueueInteractive},
		{"one above", OriginPush, 21, 20, QueueSync},
		{"resync of a few", OriginResync, 3, 20, QueueInteractive},
		{"origin unset (a push)", "", 3, 20, QueueInteractive},
		{"every customer", OriginPush, 0, 20, QueueSync},
		{"scheduled run", "schedule", 1, 20, QueueSync},
		{"no interactive lane", OriginPush, 1, 0, QueueSync},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := Push{Origin: tt.origin, Data: PushData{CustomerCodes: codes(tt.codes)}}
			if got := SyncQueue(p, tt.max); got != tt.want {
				t.Errorf("SyncQueue(%d customers, origin %q, max %d) = %s, want %s", tt.codes, tt.origin, tt.max, got, tt.want)
			}
		})
	}
}

// TestHandlePushRoutesByLane: a small push's sync tasks land on the
// interactive queue, a larger one's and an every-customer push's on sync;
// task ids are the same as on either queue, and a re-run fan-out adds
// nothing.
func TestHandlePushRoutesByLane(t *testing.T) {
	t.Parallel()
	f := setup(t, okBuilder)
	f.h.InteractiveMax = 2
	f.wq.customers = []string{"a"}
	ctx := context.Background()
	push := func(msg string, codes ...string) {
		t.Helper()
		task, err := NewPushTask(Push{TenantID: "t1", MsgID: msg, DataType: DataTypeStatement,
			Data: PushData{CustomerCodes: codes, StartDate: "2026-11-01", EndDate: "2026-11-30"}})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second run is a re-run after a crash
			if err := f.h.HandlePush(ctx, task); err != nil {
				t.Fatal(err)
			}
		}
	}
	push("small", "c1", "c2")
	push("large", "c1", "c2", "c3")
	push("all")
	id := func(msg, code string) string { return SyncTaskID("t1", msg, DataTypeStatement, code) }
	wantInteractive := []string{id("small", "c1"), id("small", "c2")}
	wantSync := []string{id("all", "a"), id("large", "c1"), id("large", "c2"), id("large", "c3")}
	if got := pendingIDs(t, f, QueueInteractive); !slices.Equal(got, wantInteractive) {
		t.Errorf("interactive = %v, want %v", got, wantInteractive)
	}
	if got := pendingIDs(t, f, QueueSync); !slices.Equal(got, wantSync) {
		t.Errorf("sync = %v, want %v", got, wantSync)
	}
	info, err := f.inspector.GetTaskInfo(QueueInteractive, id("small", "c1"))
	if err != nil || info.Type != TypeStatement || info.MaxRetry != SyncMaxRetry || info.Timeout != SyncTimeout || info.Retention != SyncRetention {
		t.Errorf("interactive task %+v, %v: want the sync task options", info, err)
	}
}
