package reconcile

import (
	"slices"

	"github.com/shopspring/decimal"
)

// Limits of the search for a balance chain among transactions of one
// second. Beyond them a group keeps the vendor's list order.
const (
	maxChainGroup = 512    // transactions sharing one time
	chainBudget   = 20_000 // steps of the search per group
)

// txOrder orders the transactions of one account: by time; transactions of
// the same time (OMS times have one-second resolution) by the balance chain
// — a transaction's balance before equals the previous one's balance after
// — then by the vendor's list order (the input order, which is never tied,
// so the id is never needed). The chain starts from the balance after the
// previous second's last transaction when there is one.
//
// When no order of a group forms a chain (the ledger has a gap, or the
// group is too large to search), the group keeps the list order; the
// balances then taken from it show the gap as a 对账差异, which is what a
// gap in the ledger is. Skipped types must be removed before.
func txOrder(o *Options, txs []Transaction) []int {
	order := make([]int, len(txs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return txs[i].Time.Compare(txs[j].Time) })
	var prev *decimal.Decimal
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && txs[order[end]].Time.Equal(txs[order[start]].Time) {
			end++
		}
		if end-start > 1 && end-start <= maxChainGroup {
			chainGroup(o, txs, order[start:end], prev)
		}
		after := txs[order[end-1]].Balance
		prev = &after
		start = end
	}
	return order
}

// chainGroup reorders g (indices into txs, in list order) into a chain:
// starting from prev when one starting there exists, else from any
// transaction. Candidates are tried in list order, so among several chains
// the one closest to the list wins. g is left as it is when there is none.
func chainGroup(o *Options, txs []Transaction, g []int, prev *decimal.Decimal) {
	n := len(g)
	befores := make([]decimal.Decimal, n)
	for k, i := range g {
		befores[k] = before(o, &txs[i])
	}
	used := make([]bool, n)
	path := make([]int, 0, n)
	budget := chainBudget
	var walk func(after *decimal.Decimal) bool
	walk = func(after *decimal.Decimal) bool {
		if len(path) == n {
			return true
		}
		for k := range n {
			if used[k] || after != nil && !befores[k].Equal(*after) {
				continue
			}
			if budget--; budget < 0 {
				return false
			}
			used[k] = true
			path = append(path, k)
			if walk(&txs[g[k]].Balance) {
				return true
			}
			used[k] = false
			path = path[:len(path)-1]
		}
		return false
	}
	found := prev != nil && walk(prev)
	if !found {
		path = path[:0]
		clear(used)
		budget = chainBudget
		found = walk(nil)
	}
	if !found {
		return
	}
	chained := make([]int, n)
	for p, k := range path {
		chained[p] = g[k]
	}
	copy(g, chained)
}

// EarliestTransaction is the first of txs in txOrder's order, skipped types
// left out: the first transaction after a period, whose balance before is
// the period's balance. Nil when there is none.
func EarliestTransaction(txs []Transaction, opt Options) *Transaction {
	o, err := opt.WithDefaults()
	if err != nil {
		return nil
	}
	kept := o.kept(txs)
	if len(kept) == 0 {
		return nil
	}
	first := kept[txOrder(&o, kept)[0]]
	return &first
}

// kept returns txs without the skipped types; txs itself when none is.
func (o *Options) kept(txs []Transaction) []Transaction {
	if len(o.SkipTypes) == 0 {
		return txs
	}
	out := make([]Transaction, 0, len(txs))
	for i := range txs {
		if !o.Skips(txs[i].Type) {
			out = append(out, txs[i])
		}
	}
	return out
}
