package oms

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ksfsync/ksfsync/internal/upstream"
)

// pageAll asks page 1, 2, … of a list and hands every row to fn. It trusts
// the answer's count, not the page size it asked for (the vendor caps it):
// it stops once it has seen count rows or a page comes back empty.
//
// Without a count in the answers it reads until an empty page. A count on
// the first page only (later pages without one) still bounds the list.
//
// Guards, all transient (the data moved under us; a later retry reads a
// settled list): the count changes between pages; a page repeats only rows
// already delivered (page_no ignored); the list ends before count rows.
func pageAll[T any](ctx context.Context, c *Client, method string, biz map[string]string,
	decode func([]byte) (int, []T, error), key func(T) string, fn func(T) error) error {
	p := make(map[string]string, len(biz)+2)
	for k, v := range biz {
		p[k] = v
	}
	p["page_size"] = strconv.Itoa(c.pageSize)
	seen := map[string]struct{}{}
	total, delivered := 0, 0
	for page := 1; ; page++ {
		p["page_no"] = strconv.Itoa(page)
		payload, err := c.call(ctx, method, p)
		if err != nil {
			return err
		}
		count, rows, err := decode(payload)
		if err != nil {
			return malformed(method, fmt.Errorf("page %d: %w", page, err))
		}
		switch {
		case page == 1:
			total = count
		case count < 0:
			// Later pages may leave count out: the first page's stands.
		case total < 0:
			total = count // the first page had none; trust the first given
		case count != total:
			return shifted(method, fmt.Sprintf("count changed from %d to %d at page %d", total, count, page))
		}
		if len(rows) > 0 && allSeen(rows, key, seen) {
			return shifted(method, fmt.Sprintf("page %d repeats rows already read", page))
		}
		for _, r := range rows {
			if k := key(r); k != "" {
				seen[k] = struct{}{}
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		delivered += len(rows)
		switch {
		case total < 0 && len(rows) == 0:
			return nil
		case total < 0:
		case delivered >= total:
			return nil
		case len(rows) == 0:
			return shifted(method, fmt.Sprintf("list ended at %d of %d rows", delivered, total))
		}
	}
}

func allSeen[T any](rows []T, key func(T) string, seen map[string]struct{}) bool {
	for _, r := range rows {
		k := key(r)
		if k == "" {
			return false
		}
		if _, ok := seen[k]; !ok {
			return false
		}
	}
	return true
}

func shifted(method, what string) error {
	return &upstream.Error{Vendor: Vendor, Op: method, Message: "paging: " + what + "; the list changed while it was read"}
}
