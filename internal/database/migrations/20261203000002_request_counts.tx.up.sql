-- Uses of a limited operation per key (a client address, a sign-in) in a window that
-- starts at the first use; shared by every replica.
CREATE TABLE request_counts (
  key        text PRIMARY KEY CHECK (octet_length(key) <= 300),
  hits       integer NOT NULL,
  window_end timestamptz NOT NULL
);

--bun:split

CREATE INDEX request_counts_window_end_idx ON request_counts (window_end);
