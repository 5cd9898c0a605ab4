// Package soak holds the long-running tests: many clients mutate and query storegraph at
// once for a bounded time, on one server in the test process and on two server processes
// sharing one database, then the database is checked for every rule the API promises.
//
// The tests are skipped under -short. SOAK_DURATION (e.g. 10m) makes each run longer than
// its default of 10s, and SOAK_SEED replays a run's random choices.
package soak
