package replica_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/storegraph/storegraph/internal/apitest"
	"github.com/storegraph/storegraph/internal/dbtest"
	"github.com/storegraph/storegraph/internal/pgtest"
)

// BenchmarkScaleOut sends the side-by-side benchmark's workloads, one request at a time,
// to servers on one database holding its data set: on the primary alone, with the
// primary's statements sent unnamed, with a streaming standby serving the reads, and
// through PgBouncer. The targets take turns, round after round, so that a machine whose
// load drifts weighs on all of them alike.
func BenchmarkScaleOut(b *testing.B) {
	ctx := context.Background()
	db := dbtest.New(b)
	sb := sharedStandby(b)
	if err := sb.WaitForDatabase(ctx, db); err != nil {
		b.Fatal(err)
	}
	bouncer, err := pgtest.StartPgBouncer(ctx, pgtest.PgBouncerOptions{PoolSize: 10})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = bouncer.Stop() })

	primary := apitest.New(b, map[string]string{"DATABASE_URL": db})
	primary.LoadDataset(b, 50)
	// Each server signs its owner up at start: the one before gives the email up.
	serve := func(env map[string]string) *apitest.Server {
		dbtest.Exec(b, primary.DB(), "UPDATE users SET email = 'before-' || id || '@example.com'")
		return apitest.New(b, env)
	}
	targets := []struct {
		name string
		s    *apitest.Server
	}{
		{"primary", primary},
		{"unnamed", serve(map[string]string{"DATABASE_URL": db, "DB_PREPARED_STATEMENTS": "false"})},
		{"replica", serve(map[string]string{"DATABASE_URL": db, "DATABASE_REPLICA_URLS": sb.URL(db), "REPLICA_MAX_LAG": replayWait.String()})},
		{"pgbouncer", serve(map[string]string{"DATABASE_URL": bouncer.URL(db),
			"DB_PREPARED_STATEMENTS": fmt.Sprint(bouncer.PreparedStatements())})},
	}
	// The standby serves once it has replayed the data set.
	rs := targets[2].s
	pos, err := rs.App.Replicas.Position(ctx)
	if err != nil {
		b.Fatal(err)
	}
	readUntilReplica(b, rs, `{ item(id: "42") { name } }`, pos.String(), `{"item":{"name":"item-042"}}`)

	workloads := []struct {
		name  string
		query string
		vars  map[string]any
	}{
		{"Q1", `query Q1($first: Int!) { stores(first: $first) { nodes { name items { name price tags(orderBy: NAME) { name } } } } }`, map[string]any{"first": 10}},
		{"Q2", `query Q2($id: ID!) { tag(id: $id) { name items { name tags(orderBy: NAME) { name } } } }`, map[string]any{"id": "7"}},
		{"Q3", `query Q3($id: ID!) { item(id: $id) { name price tags(orderBy: NAME) { name } } }`, map[string]any{"id": "42"}},
	}
	for range 3 {
		for _, w := range workloads {
			for _, t := range targets {
				b.Run(w.name+"/"+t.name, func(b *testing.B) {
					for b.Loop() {
						r, err := t.s.SendWith(ctx, nil, w.query, w.vars)
						if err != nil || len(r.Errors) > 0 {
							b.Fatalf("%s on %s: %v %+v", w.name, t.name, err, r)
						}
					}
				})
			}
		}
	}
}
