package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hibiken/asynq"
)

// baselineHandler is the reference the receiver is measured against: what
// anyone would write by hand with net/http, md5 and asynq.Enqueue — no
// validation of data, no logging, no request IDs.
func baselineHandler(client *asynq.Client, secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, `{"return_code":"1"}`, http.StatusBadRequest)
			return
		}
		f := r.PostForm
		data, ts := f.Get("data"), f.Get("timestamp")
		sum := md5.Sum([]byte(data + "|" + secret + "|" + ts))
		if hex.EncodeToString(sum[:]) != strings.ToLower(f.Get("digest")) {
			http.Error(w, `{"return_code":"1"}`, http.StatusUnauthorized)
			return
		}
		payload, _ := json.Marshal(map[string]string{
			"tenant_id": f.Get("tenantId"), "msg_id": f.Get("msgId"), "data_id": f.Get("dataId"),
			"data_type": f.Get("dataType"), "timestamp": ts, "status": f.Get("status"), "data": data,
		})
		_, err := client.Enqueue(asynq.NewTask("ksf:push", payload),
			asynq.TaskID("push:"+f.Get("tenantId")+":"+f.Get("msgId")), asynq.Queue("push"), asynq.Retention(7*24*time.Hour))
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			http.Error(w, `{"return_code":"1"}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"return_code":"0","return_msg":"success","msg_id":%q}`, f.Get("msgId"))
	})
}

func serveBaseline(ctx context.Context, addr, redisURL, secret string, log io.Writer) error {
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return err
	}
	client := asynq.NewClient(opt)
	defer client.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: baselineHandler(client, secret), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	fmt.Fprintf(log, "baseline serving http://%s/waiqin/push on %s\n", ln.Addr(), redisURL)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
