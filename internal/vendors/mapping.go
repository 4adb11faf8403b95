package vendors

import (
	"context"
	"fmt"
	"strings"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/customermap"
	"github.com/ksfsync/ksfsync/internal/reconcile"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/upstream/waiqin"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt"
)

// mappingOptions are the reconcile options of the global mapping and of
// every tenant block (KSF_OMS_*_TYPES, KSF_RETURN_MARKERS, …).
func mappingOptions(cfg *config.Config) (reconcile.Options, map[string]reconcile.Options, error) {
	def, err := cfg.MappingFor("").Options()
	if err != nil {
		return def, nil, fmt.Errorf("statement mapping: %w", err)
	}
	byTenant := map[string]reconcile.Options{}
	for id := range cfg.Tenants {
		if byTenant[id], err = cfg.MappingFor(id).Options(); err != nil {
			return def, nil, fmt.Errorf("statement mapping of tenant %q: %w", id, err)
		}
	}
	return def, byTenant, nil
}

// confirmedPolicies are KSF_CONFIRMED_POLICY and KSF_CONFIRMED_FINAL_STATES,
// globally ("") and per tenant block.
func confirmedPolicies(cfg *config.Config) map[string]tasks.ConfirmedPolicy {
	pol := func(m config.Mapping) tasks.ConfirmedPolicy {
		return tasks.ConfirmedPolicy{Overwrite: m.Overwrite(), FinalStates: m.ConfirmedFinalStates}
	}
	out := map[string]tasks.ConfirmedPolicy{"": pol(cfg.MappingFor(""))}
	for id := range cfg.Tenants {
		out[id] = pol(cfg.MappingFor(id))
	}
	return out
}

// withUnlisted applies tenantID's KSF_CUSTOMER_MAP_UNLISTED to its map and
// checks the map's per-customer 旺店通 platforms.
func withUnlisted(cfg *config.Config, tenantID string, m *customermap.Map) (*customermap.Map, error) {
	err := m.Each(func(e customermap.Entry) error {
		if codes := e.WDTPlatformCodes(); len(codes) > 0 {
			if _, err := wdt.ParsePlatforms(strings.Join(codes, ",")); err != nil {
				return fmt.Errorf("KSF_CUSTOMER_MAP: customer %q: wdt_platforms: %w", e.CustomerCode, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m.WithUnlisted(cfg.MappingFor(tenantID).Unlisted()), nil
}

// held answers tasks.Held from the tenant's 勤策 client: queryStatement or
// queryExpenseStatement of one customer and month. Each call is a 勤策
// request like any other, paced by KSF_WAIQIN_RPS.
type held struct{ tenants *waiqin.Tenants }

func (h held) HeldStatements(ctx context.Context, tenantID, dataType, customerCode, month string, fn func(tasks.HeldStatement) error) error {
	c, err := h.tenants.For(tenantID)
	if err != nil {
		return err
	}
	q := waiqin.Query{CustomerCode: customerCode, TradeMonth: month}
	each := func(s waiqin.StatementInfo) error {
		return fn(tasks.HeldStatement{Number: s.SerialNo, Status: s.StatementStatus, StartDate: s.StartDate, EndDate: s.EndDate})
	}
	if dataType == tasks.DataTypeExpense {
		return c.QueryExpenseStatement(ctx, q, each)
	}
	return c.QueryStatement(ctx, q, each)
}
