CREATE INDEX IF NOT EXISTS refresh_tokens_user_id_idx ON refresh_tokens (user_id);

--bun:split

DROP INDEX IF EXISTS refresh_tokens_user_id_expires_at_idx;

--bun:split

ALTER TABLE refresh_tokens DROP CONSTRAINT IF EXISTS refresh_tokens_family_fkey;

--bun:split

DROP TABLE IF EXISTS token_families;
