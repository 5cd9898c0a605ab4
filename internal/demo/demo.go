// Package demo loads a small, realistic data set so that a new playground has something to
// show. Loading it twice changes nothing.
package demo

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/storegraph/storegraph/internal/catalog"
)

type item struct {
	name  string
	price catalog.Money
	tags  []string
}

type shop struct {
	name  string
	tags  []string
	items []item
}

var shops = []shop{
	{
		name: "Corner Books",
		tags: []string{"fiction", "non-fiction", "bestseller", "used", "signed"},
		items: []item{
			{"The Left Hand of Darkness", 1299, []string{"fiction", "bestseller"}},
			{"Gödel, Escher, Bach", 2450, []string{"non-fiction", "used"}},
			{"Dune", 999, []string{"fiction", "bestseller", "used"}},
			{"The Structure of Scientific Revolutions", 1575, []string{"non-fiction"}},
			{"Piranesi", 1800, []string{"fiction", "signed"}},
		},
	},
	{
		name: "Bean There Coffee",
		tags: []string{"single-origin", "blend", "decaf", "organic", "equipment"},
		items: []item{
			{"Ethiopia Yirgacheffe 250 g", 1450, []string{"single-origin", "organic"}},
			{"House Espresso Blend 1 kg", 3200, []string{"blend"}},
			{"Swiss Water Decaf 250 g", 1299, []string{"decaf", "single-origin"}},
			{"Hand Grinder", 8999, []string{"equipment"}},
			{"Pour-over Dripper", 2499, []string{"equipment"}},
			{"Colombia Huila 500 g", 2150, []string{"single-origin", "organic"}},
		},
	},
	{
		name: "Trailhead Outfitters",
		tags: []string{"camping", "hiking", "waterproof", "ultralight", "sale"},
		items: []item{
			{"Two-Person Tent", 27900, []string{"camping", "ultralight"}},
			{"Rain Shell Jacket", 14950, []string{"hiking", "waterproof"}},
			{"Trekking Poles (pair)", 6900, []string{"hiking", "ultralight", "sale"}},
			{"Down Sleeping Bag", 31999, []string{"camping", "ultralight"}},
			{"Trail Runners", 12999, []string{"hiking", "waterproof", "sale"}},
		},
	},
}

// The demo account, which owns the demo stores: sign in with it to change them.
const (
	UserEmail    = "demo@example.com"
	UserPassword = "storegraph-demo"
)

// Counts reports what the demo data set holds.
type Counts struct{ Stores, Items, Tags, Links int }

// Load inserts the demo data set where it is missing, in one transaction. passwordHash is
// the stored form of UserPassword, used when the demo account does not exist yet. Demo
// stores without an owner are given to the demo account; a store someone else owns stays
// theirs.
func Load(ctx context.Context, db *bun.DB, passwordHash string) (Counts, error) {
	var c Counts
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		u := &catalog.User{Email: UserEmail, PasswordHash: passwordHash}
		if _, err := tx.NewInsert().Model(u).On("CONFLICT ((lower(email))) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("insert demo user: %w", err)
		}
		if err := tx.NewSelect().Model(u).Column("id").Where("lower(email) = lower(?)", UserEmail).Scan(ctx); err != nil {
			return fmt.Errorf("find demo user: %w", err)
		}
		for _, sh := range shops {
			st := &catalog.Store{Name: sh.name, OwnerID: &u.ID}
			if err := upsert(ctx, tx, st, "(name)", "name"); err != nil {
				return err
			}
			if _, err := tx.NewUpdate().Model(st).Set("owner_id = ?", u.ID).
				Where("id = ? AND owner_id IS NULL", st.ID).Exec(ctx); err != nil {
				return fmt.Errorf("give %q to the demo user: %w", sh.name, err)
			}
			c.Stores++
			tagIDs := make(map[string]catalog.ID, len(sh.tags))
			for _, name := range sh.tags {
				t := &catalog.Tag{StoreID: st.ID, Name: name}
				if err := upsert(ctx, tx, t, "(store_id, name)", "store_id", "name"); err != nil {
					return err
				}
				tagIDs[name] = t.ID
				c.Tags++
			}
			for _, it := range sh.items {
				i := &catalog.Item{StoreID: st.ID, Name: it.name, Price: it.price}
				if err := upsert(ctx, tx, i, "(store_id, name)", "store_id", "name"); err != nil {
					return err
				}
				c.Items++
				for _, tag := range it.tags {
					link := &catalog.ItemTag{ItemID: i.ID, TagID: tagIDs[tag], StoreID: st.ID}
					if _, err := tx.NewInsert().Model(link).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
						return fmt.Errorf("link %q with %q: %w", it.name, tag, err)
					}
					c.Links++
				}
			}
		}
		return nil
	})
	return c, err
}

// upsert inserts model unless a row with the same unique key exists, and reads its id
// either way.
func upsert(ctx context.Context, tx bun.Tx, model any, conflict string, key ...string) error {
	_, err := tx.NewInsert().Model(model).On("CONFLICT " + conflict + " DO NOTHING").Returning("id").Exec(ctx)
	if err != nil {
		return fmt.Errorf("insert %T: %w", model, err)
	}
	if err := tx.NewSelect().Model(model).Column("id").WherePK(key...).Scan(ctx); err != nil {
		return fmt.Errorf("find %T: %w", model, err)
	}
	return nil
}
