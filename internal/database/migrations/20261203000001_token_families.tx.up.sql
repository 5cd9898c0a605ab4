-- One row per sign-in. Rotation and revocation lock it first, so they take turns: after a
-- revocation commits, no rotation of the family can still be writing a successor.
CREATE TABLE token_families (
  id         bigint PRIMARY KEY DEFAULT nextval('refresh_token_families'),
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  revoked_at timestamptz,
  expires_at timestamptz NOT NULL -- that of its newest token
);

--bun:split

INSERT INTO token_families (id, user_id, revoked_at, expires_at)
SELECT family, min(user_id),
       CASE WHEN bool_and(revoked_at IS NOT NULL) THEN max(revoked_at) END,
       max(expires_at)
FROM refresh_tokens GROUP BY family;

--bun:split

ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_family_fkey
  FOREIGN KEY (family) REFERENCES token_families (id) ON DELETE CASCADE;

--bun:split

-- The clean-up deletes a user's expired families and tokens: a range of these indexes,
-- not every row of the user.
CREATE INDEX token_families_user_id_expires_at_idx ON token_families (user_id, expires_at);

--bun:split

CREATE INDEX refresh_tokens_user_id_expires_at_idx ON refresh_tokens (user_id, expires_at);

--bun:split

DROP INDEX refresh_tokens_user_id_idx;
