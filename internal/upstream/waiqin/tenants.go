package waiqin

import (
	"context"

	"github.com/ksfsync/ksfsync/internal/statement"
)

// The methods below make *Tenants what the worker needs of 勤策
// (tasks.Waiqin): each call picks the tenant's Client, then makes it.

// Customers calls fn with every customer code getCustomers returns for tenantID.
func (t *Tenants) Customers(ctx context.Context, tenantID string, fn func(code string) error) error {
	c, err := t.For(tenantID)
	if err != nil {
		return err
	}
	return c.GetCustomers(ctx, func(cu Customer) error { return fn(cu.CustomerCode) })
}

// SaveStatement saves a goods statement for tenantID.
func (t *Tenants) SaveStatement(ctx context.Context, tenantID string, s *statement.Statement) error {
	c, err := t.For(tenantID)
	if err != nil {
		return err
	}
	return c.SaveStatement(ctx, s)
}

// SaveExpense saves an expense statement for tenantID.
func (t *Tenants) SaveExpense(ctx context.Context, tenantID string, e *statement.Expense) error {
	c, err := t.For(tenantID)
	if err != nil {
		return err
	}
	return c.SaveExpense(ctx, e)
}

// SaveStatementError logs why tenantID's goods statement could not be built.
func (t *Tenants) SaveStatementError(ctx context.Context, tenantID string, l statement.ErrorLog) error {
	c, err := t.For(tenantID)
	if err != nil {
		return err
	}
	return c.SaveStatementError(ctx, l)
}

// SaveExpenseError logs why tenantID's expense statement could not be built.
func (t *Tenants) SaveExpenseError(ctx context.Context, tenantID string, l statement.ErrorLog) error {
	c, err := t.For(tenantID)
	if err != nil {
		return err
	}
	return c.SaveExpenseError(ctx, l)
}
